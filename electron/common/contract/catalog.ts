/**
 * The official catalog: Raspberry Pi OS images from the list Raspberry Pi publishes for
 * Imager, filtered by Pi model (builder/src/catalog). A chosen entry becomes a recipe or
 * flash source as `{ url, sha256: downloadSha256, extractSha256 }`.
 */
import { z } from 'zod'
import { CatalogDevice, CatalogEntry, CatalogOrigin, CatalogProblem } from '../../../builder/src/vocabulary'
import { ImageArch } from '../../../builder/src/vocabulary'
import type { EventMap, ProcedureMap } from './shared'

export { CatalogDevice, CatalogOrigin, CatalogProblem }

/** An entry as the app gets it: its icon also as a data: URI, since the renderer loads no remote images (CSP). */
export const CatalogListEntry = CatalogEntry.extend({
  /** The icon as `data:image/…;base64,…`, or null when it could not be fetched (offline, too large, not an image). */
  iconData: z.string().nullable(),
})
export type CatalogListEntry = z.infer<typeof CatalogListEntry>

export const CatalogList = z.object({
  entries: z.array(CatalogListEntry),
  origin: CatalogOrigin,
  /** The list's URL (the shipped list names the official URL it stands in for). */
  url: z.string(),
  /** When the list was fetched (for the cache, when it was last fetched); null for the shipped list. */
  fetchedAt: z.string().nullable(),
  /** Why the network list was not used (offline, server error, not the format), for a person; null when it was. */
  warning: z.string().nullable(),
  /** Entries of the list that were skipped, each with why. */
  problems: z.array(CatalogProblem),
})
export type CatalogList = z.infer<typeof CatalogList>

/** An entry's image in the cache, ready to flash like a local file. */
export const CatalogImage = z.object({
  image: z.string(),
  name: z.string(),
  /** The image's size in bytes. */
  bytes: z.number(),
  /** SHA256 of the download (the cache key) and of the image inside (null when the catalog gives none). */
  sha256: z.string(),
  extractSha256: z.string().nullable(),
  arch: ImageArch.nullable(),
})
export type CatalogImage = z.infer<typeof CatalogImage>

export const CatalogProgress = z.object({
  downloadId: z.string(),
  phase: z.enum(['download', 'verify', 'decompress']),
  bytes: z.number(),
  total: z.number().nullable(),
})
export type CatalogProgress = z.infer<typeof CatalogProgress>

export const catalogProcedures = {
  /**
   * The catalog's images, for one Pi model when `device` is given (Imager's own device
   * tags and matching). `refresh` asks the network again even if core fetched it lately.
   */
  'catalog.list': {
    input: z.object({ device: CatalogDevice.optional(), refresh: z.boolean().optional() }).strict(),
    output: CatalogList,
  },
  /**
   * Downloads an entry of the list (by its URL) into the verified cache: the download's and
   * the image's SHA256 are checked before the image is used; a cached image is reused.
   * Progress arrives as catalog.progress with the caller's `downloadId`; catalog.cancel stops it.
   */
  'catalog.download': {
    input: z.object({ url: z.string().min(1), downloadId: z.string().min(1) }).strict(),
    output: CatalogImage,
  },
  'catalog.cancel': {
    input: z.object({ downloadId: z.string().min(1) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
} as const satisfies ProcedureMap

export const catalogEvents = {
  'catalog.progress': CatalogProgress,
} as const satisfies EventMap
