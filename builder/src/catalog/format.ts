/**
 * Reads the OS list Raspberry Pi publishes for Imager (`os_list_imagingutility_v4.json`):
 * `{ imager: {…}, os_list: [item…] }`, where an item is a folder (`subitems`, nested to
 * any depth), a folder kept elsewhere (`subitems_url`, not followed), an image (`url` plus
 * its sizes and SHA256s), or one of Imager's own actions (`internal://…`, skipped). Fields
 * Orchard does not use are tolerated; an image entry that does not fit is skipped and
 * reported with its path, never fatal. Only a file that is not such a list at all fails.
 */
import { z } from 'zod'
import { BuildError } from '../util/errors'
import type { CatalogEntry, CatalogProblem, ImageArch } from '../vocabulary'

/** The official list; ORCHARD_CATALOG_URL points elsewhere (a mirror, the tests' server). */
export const OFFICIAL_CATALOG_URL = 'https://downloads.raspberrypi.com/os_list_imagingutility_v4.json'

/** Deeper than any real list; a guard against a hostile file, not a format rule. */
const MAX_DEPTH = 8

const Sha256 = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')
  .transform((hex) => hex.toLowerCase())
const Size = z.number().int().nonnegative()

const ListFile = z.object({ os_list: z.array(z.unknown()) }).passthrough()

/** What every item has; `passthrough` keeps the fields of the kind it turns out to be. */
const Item = z
  .object({
    name: z.string().min(1),
    subitems: z.array(z.unknown()).optional(),
    subitems_url: z.string().optional(),
    url: z.string().optional(),
  })
  .passthrough()

const ImageItem = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    icon: z.string().optional(),
    url: z.string().url().regex(/^https?:\/\//i, 'must be an http(s) URL'),
    extract_size: Size.optional(),
    extract_sha256: Sha256.optional(),
    image_download_size: Size.optional(),
    image_download_sha256: Sha256.optional(),
    release_date: z.string().optional(),
    devices: z.array(z.string()).default([]),
    init_format: z.string().optional(),
  })
  .passthrough()

export interface ParsedCatalog {
  entries: CatalogEntry[]
  problems: CatalogProblem[]
}

/**
 * Parses the list's text. `baseUrl` resolves relative icon URLs. Throws INVALID_SOURCE only
 * when the text is not JSON or has no `os_list` array.
 */
export function parseCatalog(text: string, baseUrl: string): ParsedCatalog {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new BuildError('INVALID_SOURCE', `The OS list at ${baseUrl} is not JSON: ${(error as Error).message}`)
  }
  const file = ListFile.safeParse(json)
  if (!file.success) throw new BuildError('INVALID_SOURCE', `The OS list at ${baseUrl} has no os_list array: it is not Imager's format`)
  const result: ParsedCatalog = { entries: [], problems: [] }
  walk(file.data.os_list, 'os_list', [], baseUrl, result, 0)
  return result
}

function walk(items: unknown[], at: string, group: string[], baseUrl: string, out: ParsedCatalog, depth: number): void {
  items.forEach((raw, index) => {
    const path = `${at}[${index}]`
    const item = Item.safeParse(raw)
    if (!item.success) return void out.problems.push({ path, message: describe(item.error) })
    const { name, subitems, url } = item.data
    if (subitems) {
      if (depth >= MAX_DEPTH) return void out.problems.push({ path, message: `folders nested deeper than ${MAX_DEPTH}` })
      return walk(subitems, `${path}.subitems`, [...group, name], baseUrl, out, depth + 1)
    }
    // A folder kept in another file (third-party lists): not followed, their images are not Raspberry Pi's.
    if (item.data.subitems_url !== undefined) return
    // Imager's own actions (erase, use custom) are not images.
    if (url === undefined || url === '' || url.startsWith('internal://')) return
    const image = ImageItem.safeParse(raw)
    if (!image.success) return void out.problems.push({ path, message: `${name}: ${describe(image.error)}` })
    out.entries.push(toEntry(image.data, group, baseUrl))
  })
}

function toEntry(item: z.output<typeof ImageItem>, group: string[], baseUrl: string): CatalogEntry {
  return {
    name: item.name,
    description: item.description,
    group,
    url: item.url,
    downloadSha256: item.image_download_sha256 ?? null,
    downloadSize: item.image_download_size ?? null,
    extractSha256: item.extract_sha256 ?? null,
    extractSize: item.extract_size ?? null,
    releaseDate: item.release_date ?? null,
    devices: item.devices,
    initFormat: item.init_format ?? null,
    arch: archOf(item.url, item.devices),
    icon: item.icon ? absolute(item.icon, baseUrl) : null,
  }
}

/** The URL says it on Raspberry Pi's own files (`raspios_lite_arm64/…`); else the device tags, when they agree. */
export function archOf(url: string, devices: string[]): ImageArch | null {
  const file = url.toLowerCase()
  if (/arm64|aarch64/.test(file)) return 'arm64'
  if (/armhf/.test(file)) return 'armhf'
  const bits = new Set(devices.map((tag) => /-(64|32)bit$/.exec(tag)?.[1]).filter(Boolean))
  if (bits.size !== 1) return null
  return bits.has('64') ? 'arm64' : 'armhf'
}

function absolute(icon: string, baseUrl: string): string | null {
  try {
    const url = new URL(icon, baseUrl)
    return /^(https?|data):$/.test(url.protocol) ? url.href : null
  } catch {
    return null
  }
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ')
}
