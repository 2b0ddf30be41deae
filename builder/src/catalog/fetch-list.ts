/**
 * Gets the catalog: from the network with the cached copy's ETag (If-None-Match, so an
 * unchanged list costs a 304), else the cached copy, else the list shipped with Orchard.
 * The cache (`<cache>/catalog/`, one body and one meta file per list URL) is replaced only
 * by a response that parses as the format, written atomically. Never throws for the
 * network: every way it falls back says why in `warning`.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { BuildError } from '../util/errors'
import { cacheDir } from '../util/paths'
import { writeFileAtomic } from '../util/temp'
import type { CatalogEntry, CatalogOrigin, CatalogProblem } from '../vocabulary'
import { OFFICIAL_CATALOG_URL, parseCatalog, type ParsedCatalog } from './format'
import { SHIPPED_CATALOG, SHIPPED_CATALOG_URL } from './shipped'

export interface CatalogOptions {
  /** The list's URL (default: ORCHARD_CATALOG_URL, else Raspberry Pi's). */
  url?: string
  /** Where the cached copy lives (default: the user's cache dir). */
  cache?: string
  /** Do not ask the network: the cached copy, else the shipped list. */
  offline?: boolean
  /** How long to wait for the server (default 15 s). */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface Catalog extends ParsedCatalog {
  origin: CatalogOrigin
  url: string
  fetchedAt: string | null
  warning: string | null
}

/** Official lists are a few hundred KB; anything this large is not one. */
const MAX_BYTES = 32 * 1024 * 1024

const Meta = z.object({ url: z.string(), etag: z.string().nullable(), fetchedAt: z.string() })
type Meta = z.infer<typeof Meta>

export function catalogUrl(env = process.env): string {
  return env.ORCHARD_CATALOG_URL || OFFICIAL_CATALOG_URL
}

export async function loadCatalog(options: CatalogOptions = {}): Promise<Catalog> {
  const url = options.url ?? catalogUrl()
  const files = cacheFiles(options.cache ?? cacheDir(), url)
  const cached = await readCached(files, url)
  if (options.offline) return fallback(url, cached, 'offline: the network was not asked')

  let response: Response
  try {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (cached?.meta.etag) headers['if-none-match'] = cached.meta.etag
    const signals = [AbortSignal.timeout(options.timeoutMs ?? 15_000), ...(options.signal ? [options.signal] : [])]
    response = await fetch(url, { headers, redirect: 'follow', signal: AbortSignal.any(signals) })
  } catch (error) {
    if (options.signal?.aborted) throw new BuildError('CANCELLED', 'Fetching the catalog was cancelled')
    return fallback(url, cached, `cannot reach ${url}: ${reason(error)}`)
  }

  if (response.status === 304 && cached) {
    const meta = { ...cached.meta, fetchedAt: new Date().toISOString() }
    await writeFileAtomic(files.meta, JSON.stringify(meta)).catch(() => undefined) // only the date: the body is still right
    return { ...cached.parsed, origin: 'network', url, fetchedAt: meta.fetchedAt, warning: null }
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined)
    return fallback(url, cached, `${url} answered ${response.status} ${response.statusText}`.trim())
  }
  let text: string
  try {
    text = await readLimited(response)
  } catch (error) {
    return fallback(url, cached, `reading ${url} failed: ${reason(error)}`)
  }
  let parsed: ParsedCatalog
  try {
    parsed = parseCatalog(text, url)
  } catch (error) {
    return fallback(url, cached, (error as Error).message)
  }
  const meta: Meta = { url, etag: response.headers.get('etag'), fetchedAt: new Date().toISOString() }
  await mkdir(files.dir, { recursive: true })
  await writeFileAtomic(files.body, text)
  await writeFileAtomic(files.meta, JSON.stringify(meta))
  return { ...parsed, origin: 'network', url, fetchedAt: meta.fetchedAt, warning: null }
}

/** The list shipped with Orchard, parsed like any other. */
export function shippedCatalog(): ParsedCatalog {
  return parseCatalog(JSON.stringify(SHIPPED_CATALOG), SHIPPED_CATALOG_URL)
}

function fallback(url: string, cached: Cached | null, why: string): Catalog {
  if (cached) return { ...cached.parsed, origin: 'cache', url, fetchedAt: cached.meta.fetchedAt, warning: `${why}; using the copy fetched ${cached.meta.fetchedAt}` }
  return { ...shippedCatalog(), origin: 'shipped', url: SHIPPED_CATALOG_URL, fetchedAt: null, warning: `${why}; using the list shipped with Orchard` }
}

interface Cached {
  meta: Meta
  parsed: ParsedCatalog
}

function cacheFiles(cache: string, url: string) {
  const dir = path.join(cache, 'catalog')
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16)
  return { dir, body: path.join(dir, `${key}.json`), meta: path.join(dir, `${key}.meta.json`) }
}

/** A cached copy for this URL that still parses; anything else counts as none. */
async function readCached(files: ReturnType<typeof cacheFiles>, url: string): Promise<Cached | null> {
  try {
    const meta = Meta.parse(JSON.parse(await readFile(files.meta, 'utf8')))
    if (meta.url !== url) return null
    return { meta, parsed: parseCatalog(await readFile(files.body, 'utf8'), url) }
  } catch {
    return null
  }
}

async function readLimited(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > MAX_BYTES) throw new Error(`${declared} bytes is more than an OS list (${MAX_BYTES} at most)`)
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.length
    if (total > MAX_BYTES) throw new Error(`more than ${MAX_BYTES} bytes: not an OS list`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function reason(error: unknown): string {
  const cause = (error as Error & { cause?: Error }).cause
  if ((error as Error).name === 'TimeoutError') return 'no answer in time'
  return cause?.message ?? (error as Error).message
}

export type { CatalogEntry, CatalogProblem }
