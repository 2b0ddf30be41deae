/**
 * The official catalog: Raspberry Pi OS images from the list Raspberry Pi publishes for
 * Imager, filtered by Pi model (builder/src/catalog). A chosen entry becomes a recipe or
 * flash source as `{ url, sha256: downloadSha256, extractSha256 }`.
 */
import { z } from 'zod'
import { CatalogDevice, CatalogEntry, CatalogOrigin, CatalogProblem } from '../../../builder/src/vocabulary'
import type { ProcedureMap } from './shared'

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

export const catalogProcedures = {
  /**
   * The catalog's images, for one Pi model when `device` is given (Imager's own device
   * tags and matching). `refresh` asks the network again even if core fetched it lately.
   */
  'catalog.list': {
    input: z.object({ device: CatalogDevice.optional(), refresh: z.boolean().optional() }).strict(),
    output: CatalogList,
  },
} as const satisfies ProcedureMap
