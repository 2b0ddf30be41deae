import type { Command } from 'commander'
import { realpath } from 'node:fs/promises'
import path from 'node:path'
import type { Device } from '../flash/devices-csv'
import { readDevicesFile } from '../flash/devices-file'
import { fileDestinationProblem, inspectDestination, refusal } from '../flash/safety'
import { BuildError } from '../util/errors'
import type { FlashTarget } from '../flash/write'
import type { CardRecord } from '../flash/records'
import { cancelOnSignals, createReporter, EXIT, exitCodeFor, type Reporter } from './output'

export function registerFlashCommand(program: Command): void {
  program
    .command('flash')
    .description('Flash an image to many cards (block devices) and/or image files at once, verified; each gets its device\'s files')
    .argument('[image]', '.img, .img.xz, .img.gz or .zip (or --catalog)')
    .requiredOption('--to <destination...>', 'block devices (/dev/sdX) or image files to create; repeat or list several')
    .option('--recipe <recipe.yml>', 'customise on the way: the recipe\'s quick customisation is laid over the image as it is written (the image itself never changes); a recipe that needs ARM code is refused')
    .option('--devices <csv>', 'devices.csv: a hostname column and any variables; row n goes to the n-th destination')
    .option('--catalog <name-or-url>', 'flash an image of the official catalog (orchard catalog): downloaded into the cache, its download and image SHA256 checked')
    .option('--no-verify', 'skip reading every card back')
    .option('--json', 'print JSON lines on stdout')
    .action(async (given: string | undefined, options: { to: string[]; recipe?: string; devices?: string; catalog?: string; verify: boolean; json?: boolean }) => {
      const reporter = createReporter(Boolean(options.json))
      try {
        if (Boolean(given) === Boolean(options.catalog)) throw new BuildError('INVALID_INPUT', 'Give the image to flash, or --catalog <name-or-url>: exactly one of them')
        // Loaded here, not at the top: etcher-sdk brings native modules (drivelist, usb, …), and
        // every other command (the builder container runs only `build`) must start without them.
        const { flashImage } = await import('../flash/write')
        const { loadFlashRecipe } = await import('../flash/customise-on-flash')
        const recipe = options.recipe ? await loadFlashRecipe(options.recipe) : undefined
        const targets = await resolveTargets(options.to)
        const devices = options.devices ? await devicesFor(options.devices, targets.length, reporter.line) : undefined
        const image = given ?? (await catalogImage(options.catalog!, reporter))
        const records = await flashImage({
          image,
          targets,
          devices,
          recipe,
          verify: options.verify,
          onProgress: ({ target, phase, message, fraction, bytes, total }) =>
            reporter.progress(`${path.basename(target)} ${phase}`, message ?? phase, fraction, bytes, total),
        })
        reporter.result({ records }, () => table(records))
        if (records.some((record) => !record.ok)) process.exitCode = EXIT.failed
      } catch (error) {
        reporter.error(error)
        process.exitCode = exitCodeFor(error)
      }
    })
}

/** The catalog entry's image, verified (download and image SHA256) and decompressed into the cache. */
async function catalogImage(wanted: string, reporter: Reporter): Promise<string> {
  const { loadCatalog } = await import('../catalog/fetch-list')
  const { findEntry } = await import('../catalog/source')
  const { fetchCatalogImage } = await import('../catalog/fetch-image')
  // Ctrl+C during the download cancels it, and resolveSource removes the partial file.
  const { signal, release } = cancelOnSignals()
  try {
    const catalog = await loadCatalog({ signal })
    if (catalog.warning) reporter.line(`warning: ${catalog.warning}`)
    const resolved = await fetchCatalogImage(findEntry(catalog.entries, wanted), {
      signal,
      onProgress: ({ phase, bytes, total }) => reporter.progress(phase, phase, total ? bytes / total : undefined, bytes, total ?? undefined),
    })
    return resolved.image
  } finally {
    release()
  }
}

/**
 * A block device must be a drive the system lists (or a test drive); anything else is an image
 * file to create or overwrite. Links and non-image files are refused here, before the image is read.
 */
async function resolveTargets(destinations: string[]): Promise<FlashTarget[]> {
  const facts = await Promise.all(destinations.map(inspectDestination))
  const problems = destinations.map((destination, i) => (facts[i]!.kind === 'block-device' ? null : fileDestinationProblem(destination, facts[i]!)))
  if (problems.some(Boolean)) throw refusal(problems.filter((problem) => problem !== null))
  const { listDrives } = await import('../flash/drives')
  const drives = facts.some((fact) => fact.kind === 'block-device') ? await listDrives({ testDrives: 'environment' }) : []
  return Promise.all(
    destinations.map(async (destination, i): Promise<FlashTarget> => {
      if (facts[i]!.kind !== 'block-device') return { kind: 'file', path: path.resolve(destination) }
      const real = await realpath(destination)
      const drive = drives.find((d) => d.device === destination || d.device === real || d.raw === real)
      if (!drive) {
        throw new BuildError('UNSAFE_TARGET', `${destination} is a block device that is not in the drive list (loop devices: ORCHARD_TEST_DRIVES, tests only)`)
      }
      return { kind: 'drive', drive }
    }),
  )
}

async function devicesFor(file: string, count: number, say: (text: string) => void): Promise<Device[]> {
  const devices = await readDevicesFile(file)
  if (devices.length < count) {
    throw new BuildError('INVALID_RECIPE', `${file} lists ${devices.length} devices for ${count} destinations`)
  }
  if (devices.length > count) say(`${devices.length - count} devices wait for the next batch, from ${devices[count]!.hostname}`)
  return devices.slice(0, count)
}

function table(records: CardRecord[]): string {
  const rows = records.map((r) => [r.destination, r.hostname ?? '-', r.ok ? 'ok' : 'FAILED', r.verified === null ? 'skipped' : r.verified ? 'yes' : 'no', r.error ?? ''])
  const header = ['destination', 'device', 'result', 'verified', 'error']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()
  const good = records.filter((r) => r.ok).length
  return [line(header), ...rows.map(line), `${good} of ${records.length} cards ok (image sha256 ${records[0]?.imageSha256 ?? '?'}${records[0]?.recipeSha256 ? `, recipe sha256 ${records[0].recipeSha256}` : ''})`].join('\n')
}
