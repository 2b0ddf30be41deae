/**
 * `orchard catalog`: the official catalog (builder/src/catalog), optionally for one Pi
 * model; `--source <name|url>` prints one entry as a recipe's pinned `source:` block.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { stringify } from 'yaml'
import { forDevice } from '../catalog/devices'
import { loadCatalog, type Catalog } from '../catalog/fetch-list'
import { catalogSource, findEntry } from '../catalog/source'
import { formatBytes } from '../util/bytes'
import { CatalogDevice, type CatalogEntry } from '../vocabulary'
import { createReporter, exitCodeFor } from './output'

interface CatalogCommandOptions {
  device?: CatalogDevice
  json?: boolean
  offline?: boolean
  source?: string
}

export function registerCatalogCommand(program: Command): void {
  program
    .command('catalog')
    .description("List the official Raspberry Pi OS images (the list Raspberry Pi publishes for Imager), or print one as a recipe source")
    .option('--device <model>', `only images for this Pi: ${CatalogDevice.options.join(', ')}`, parseDevice)
    .option('--source <name-or-url>', 'print this entry as a recipe `source:` block (url, sha256 of the download, extractSha256 of the image)')
    .option('--offline', 'do not ask the network: the cached list, else the one shipped with Orchard')
    .option('--json', 'print JSON')
    .action(async (options: CatalogCommandOptions) => {
      const reporter = createReporter(Boolean(options.json))
      try {
        const catalog = await loadCatalog({ offline: options.offline })
        if (catalog.warning) reporter.line(`warning: ${catalog.warning}`)
        const entries = forDevice(catalog.entries, options.device)
        if (options.source) {
          const entry = findEntry(entries, options.source)
          const source = catalogSource(entry)
          reporter.result({ entry, source, origin: catalog.origin }, () => `# ${entry.name}, ${entry.releaseDate ?? 'no release date'} (${entry.arch ?? 'arch unknown'})\n${stringify({ source, ...(entry.arch ? { arch: entry.arch } : {}) }).trimEnd()}`)
          return
        }
        const { origin, url, fetchedAt, warning, problems } = catalog
        reporter.result({ origin, url, fetchedAt, warning, problems, entries }, () => describe(catalog, entries))
      } catch (error) {
        reporter.error(error)
        process.exitCode = exitCodeFor(error)
      }
    })
}

function parseDevice(value: string): CatalogDevice {
  const device = CatalogDevice.safeParse(value)
  if (!device.success) throw new InvalidArgumentError(`not a Pi model Orchard knows; one of ${CatalogDevice.options.join(', ')}`)
  return device.data
}

function describe(catalog: Catalog, entries: CatalogEntry[]): string {
  const from = { network: `from ${catalog.url}`, cache: `cached copy of ${catalog.url} (${catalog.fetchedAt})`, shipped: 'the list shipped with Orchard' }[catalog.origin]
  const lines = [`${entries.length} image${entries.length === 1 ? '' : 's'}, ${from}`]
  for (const entry of entries) {
    const where = entry.group.length ? `${entry.group.join(' / ')} / ` : ''
    const size = entry.downloadSize !== null ? `, ${formatBytes(entry.downloadSize)}` : ''
    lines.push(`  ${where}${entry.name}  ${entry.releaseDate ?? '?'}  ${entry.arch ?? '?'}${size}${entry.downloadSha256 ? '' : '  (no download SHA256: cannot be used)'}`)
    lines.push(`    ${entry.url}`)
  }
  if (catalog.problems.length) {
    lines.push(`${catalog.problems.length} entr${catalog.problems.length === 1 ? 'y' : 'ies'} skipped:`)
    lines.push(...catalog.problems.map((problem) => `  ${problem.path}: ${problem.message}`))
  }
  return lines.join('\n')
}
