/**
 * A catalog entry's image, downloaded into the verified cache (source/resolve.ts: the
 * download's SHA256 before it enters the cache, the image's `extract_sha256` as it is
 * decompressed). Shared by `orchard flash --catalog` and the app's OS chooser, so both
 * trust exactly the same checks.
 */
import { resolveSource, type SourceProgress } from '../source/resolve'
import type { CatalogEntry, ImageArch } from '../vocabulary'
import { catalogSource } from './source'

export interface CatalogImage {
  /** The raw disk image in the cache (read-only). */
  image: string
  /** SHA256 of the download, as the catalog gives it (the cache key). */
  sha256: string
  /** SHA256 of the image inside, when the catalog gives it (checked). */
  extractSha256: string | null
  arch: ImageArch | null
}

export interface FetchCatalogImageOptions {
  cache?: string
  signal?: AbortSignal
  onProgress?: (progress: SourceProgress) => void
}

export async function fetchCatalogImage(entry: CatalogEntry, options: FetchCatalogImageOptions = {}): Promise<CatalogImage> {
  const source = catalogSource(entry)
  // baseDir is unused: a catalog source is always a URL.
  const resolved = await resolveSource(source, process.cwd(), options)
  return { image: resolved.image, sha256: resolved.sha256, extractSha256: source.extractSha256 ?? null, arch: entry.arch }
}
