/**
 * A catalog entry as a source: the recipe's `source` block (`url`, `sha256` of the download,
 * `extractSha256` of the image inside) that source/resolve.ts verifies both ways. Recipes
 * keep that pinned block rather than an entry's name, because a name ("Raspberry Pi OS
 * Lite (64-bit)") points at a new release every few months and a recipe must build the
 * same image next year.
 */
import { BuildError } from '../util/errors'
import type { CatalogEntry } from '../vocabulary'

export interface CatalogSource {
  url: string
  sha256: string
  extractSha256?: string
}

/** The entry whose name (any case) or URL is `wanted`; a name several entries share must be given as a URL. */
export function findEntry(entries: CatalogEntry[], wanted: string): CatalogEntry {
  const key = wanted.trim().toLowerCase()
  const byUrl = entries.find((entry) => entry.url === wanted.trim())
  if (byUrl) return byUrl
  const named = entries.filter((entry) => entry.name.toLowerCase() === key)
  if (named.length === 1) return named[0]!
  if (named.length > 1) {
    throw new BuildError('INVALID_INPUT', `Several catalog entries are named "${wanted}"; give its URL instead: ${named.map((entry) => entry.url).join(', ')}`)
  }
  const near = entries.filter((entry) => entry.name.toLowerCase().includes(key)).map((entry) => `"${entry.name}"`)
  throw new BuildError('NOT_FOUND', `No catalog entry is named "${wanted}"${near.length ? `; did you mean ${near.slice(0, 5).join(', ')}?` : ' (orchard catalog lists them)'}`)
}

export function catalogSource(entry: CatalogEntry): CatalogSource {
  if (!entry.downloadSha256) {
    throw new BuildError('INVALID_SOURCE', `The catalog gives no SHA256 for the download of "${entry.name}" (${entry.url}); Orchard uses only sources it can verify`)
  }
  return { url: entry.url, sha256: entry.downloadSha256, ...(entry.extractSha256 ? { extractSha256: entry.extractSha256 } : {}) }
}
