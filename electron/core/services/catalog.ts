/**
 * catalog.list: the official catalog for the app's OS chooser. The list is fetched at most
 * every few minutes (ETag-revalidated, cached; offline the cached or shipped list); icons
 * are handed over as data: URIs, since the renderer loads no remote images (its CSP), and
 * kept in the cache beside the list. catalog.download brings an entry's image into the
 * verified cache (the same function as `orchard flash --catalog`), with progress and cancel.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { CatalogImage, CatalogList, CatalogListEntry, Input } from '@common/contract'
import { fetchCatalogImage } from '../../../builder/src/catalog/fetch-image'
import { findEntry } from '../../../builder/src/catalog/source'
import { BuildError } from '../../../builder/src/util/errors'
import type { EventBus } from '../events'
import { loadCatalog, type Catalog } from '../../../builder/src/catalog/fetch-list'
import { forDevice } from '../../../builder/src/catalog/devices'
import { cacheDir } from '../../../builder/src/util/paths'
import { writeFileAtomic } from '../../../builder/src/util/temp'

export interface CatalogServiceOptions {
  cache?: string
  /** The list's URL (default: ORCHARD_CATALOG_URL, else Raspberry Pi's). */
  url?: string
  /** How long a fetched list is reused before asking the network again. */
  maxAgeMs?: number
  /** Where catalog.progress goes (none: downloads report nothing). */
  bus?: EventBus
}

/** Progress events at most this often per download (a fast local download would flood the bridge). */
const PROGRESS_EVERY_MS = 100

const ICON_MAX_BYTES = 256 * 1024
const ICON_TIMEOUT_MS = 5_000

export function createCatalogService(options: CatalogServiceOptions = {}) {
  const cache = options.cache ?? cacheDir()
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000
  let last: { at: number; catalog: Promise<Catalog> } | null = null
  // Per icon URL, for as long as the list is reused: an icon that failed is not asked for on every call.
  let icons = new Map<string, Promise<string | null>>()

  function current(refresh: boolean): Promise<Catalog> {
    // Only a list from the network is reused: after a fallback the next call tries again.
    if (!refresh && last && Date.now() - last.at < maxAgeMs) return last.catalog
    const catalog: Promise<Catalog> = loadCatalog({ cache, url: options.url }).then(
      (loaded) => {
        if (loaded.origin !== 'network' && last?.catalog === catalog) last = null
        return loaded
      },
      (error: unknown) => {
        if (last?.catalog === catalog) last = null
        throw error
      },
    )
    last = { at: Date.now(), catalog }
    icons = new Map()
    return catalog
  }

  async function list(input: Input<'catalog.list'>): Promise<CatalogList> {
    const catalog = await current(Boolean(input.refresh))
    const iconData = (url: string | null) => {
      if (!url) return Promise.resolve(null)
      if (!icons.has(url)) icons.set(url, icon(cache, url, catalog.origin === 'network'))
      return icons.get(url)!
    }
    const entries: CatalogListEntry[] = await Promise.all(
      forDevice(catalog.entries, input.device).map(async (entry) => ({ ...entry, iconData: await iconData(entry.icon) })),
    )
    return { entries, origin: catalog.origin, url: catalog.url, fetchedAt: catalog.fetchedAt, warning: catalog.warning, problems: catalog.problems }
  }

  const downloads = new Map<string, AbortController>()

  async function download({ url, downloadId }: Input<'catalog.download'>): Promise<CatalogImage> {
    if (downloads.has(downloadId)) throw new BuildError('INVALID_INPUT', `A download with id ${downloadId} is already running`)
    const abort = new AbortController()
    downloads.set(downloadId, abort)
    try {
      // The entry as the list gives it now: its hashes are the list's, never the caller's.
      const entry = findEntry((await current(false)).entries, url)
      let lastAt = 0
      let lastPhase = ''
      const image = await fetchCatalogImage(entry, {
        cache,
        signal: abort.signal,
        onProgress: ({ phase, bytes, total }) => {
          const now = Date.now()
          if (phase === lastPhase && now - lastAt < PROGRESS_EVERY_MS && bytes !== total) return
          lastAt = now
          lastPhase = phase
          options.bus?.emit('catalog.progress', { downloadId, phase, bytes, total })
        },
      })
      return { ...image, name: entry.name, bytes: (await stat(image.image)).size }
    } finally {
      downloads.delete(downloadId)
    }
  }

  function cancel({ downloadId }: Input<'catalog.cancel'>): { cancelled: boolean } {
    const abort = downloads.get(downloadId)
    abort?.abort()
    return { cancelled: Boolean(abort) }
  }

  return { list, download, cancel }
}

/** The icon as a data: URI: cached, else fetched when the network answered the list; null when neither works. */
async function icon(cache: string, url: string, online: boolean): Promise<string | null> {
  if (url.startsWith('data:image/')) return url
  const file = path.join(cache, 'catalog', 'icons', `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.txt`)
  const cached = await readFile(file, 'utf8').catch(() => null)
  if (cached?.startsWith('data:image/')) return cached
  if (!online) return null
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(ICON_TIMEOUT_MS), redirect: 'follow' })
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (!response.ok || !/^image\/(png|jpeg|gif|webp|svg\+xml)$/.test(type)) return null
    const bytes = Buffer.from(await response.arrayBuffer())
    if (bytes.length > ICON_MAX_BYTES) return null
    const data = `data:${type};base64,${bytes.toString('base64')}`
    await mkdir(path.dirname(file), { recursive: true })
    await writeFileAtomic(file, data)
    return data
  } catch {
    return null // an icon is decoration: the entry is listed without it
  }
}
