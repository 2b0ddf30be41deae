/**
 * The source picker's starting list: the official releases of the list shipped with Orchard
 * (builder/src/catalog/shipped.ts, the catalog's offline fallback, each with the SHA256
 * of its download; the build checks it). Users add to and edit the list in the app; their
 * list is kept in settings. The live catalog is `catalog.list`.
 */
import type { Settings } from '@common/contract'
import { shippedCatalog } from '../../../builder/src/catalog/fetch-list'

export const OFFICIAL_RELEASES: Settings['releases'] = shippedCatalog().entries.flatMap((entry) =>
  entry.downloadSha256 && entry.arch ? [{ label: `${entry.name}, ${entry.releaseDate ?? 'undated'}`, url: entry.url, sha256: entry.downloadSha256, arch: entry.arch }] : [],
)
