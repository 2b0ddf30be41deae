/**
 * Flashes one image to many destinations at once (SD cards and image files), verifies
 * them, then gives each card its own device files and re-reads them. Every destination is
 * checked before a single byte is written; one destination failing never stops the others.
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, rm, stat, statfs, truncate } from 'node:fs/promises'
import path from 'node:path'
import { multiWrite, sourceDestination } from 'etcher-sdk'
import type { Disk } from 'file-disk'
import { deviceFiles, writeDeviceFiles, type DeviceExtras } from './device-files'
import { formatBytes } from '../util/bytes'
import { BuildError } from '../util/errors'
import { sha256File } from '../util/hash'
import { freeClusterRanges } from '../image/fat/free-ranges'
import { detectFilesystem } from '../image/filesystems'
import { readerOf, withImage } from '../image/open'
import { readPartitionTable } from '../image/partitions'
import { cacheDir } from '../util/paths'
import { removeStaleTemps, tempName } from '../util/temp'
import { decompress, sniffFormat } from '../source/decompress'
import { eitherSignal, stopsOn } from './abortable-io'
import { checkFlashRecipe, customiseSource, type FlashRecipe } from './customise-on-flash'
import { readEditList, type Edit } from './edit-list'
import { EditedFile } from './edited-source'
import type { Drive } from './drives'
import { appendRecords, recordsFile, type CardRecord } from './records'
import { checkDrive, fileDestinationProblem, inspectDestination, isFlashable, refusal, type DriveIssue } from './safety'
import type { FlashDevice, FlashPhase, FlashProgress } from '../vocabulary'

export type { FlashDevice, FlashPhase, FlashProgress }

export type FlashTarget = { kind: 'drive'; drive: Drive } | { kind: 'file'; path: string }

export interface FlashOptions {
  /** .img, .img.xz, .img.gz or .zip */
  image: string
  targets: FlashTarget[]
  /** The device each target becomes (same order as targets), with its own scripts; null for a plain copy. */
  devices?: (FlashDevice | null)[]
  verify?: boolean
  /** Write only the blocks the image's filesystems use (default true). */
  trim?: boolean
  busyDevices?: string[]
  allowSystemDrives?: boolean
  cache?: string
  /** Where to append the records; null: the caller keeps them (the writer process hands them to core). */
  recordsFile?: string | null
  jobId?: string
  onProgress?: (progress: FlashProgress) => void
  /** Stops the flash, before writing or at the next read or write (what was written is unusable). */
  signal?: AbortSignal
  /** One per target (same order): stops that card alone at its next write or read; the others go on. */
  targetSignals?: (AbortSignal | undefined)[]
  /**
   * The image already decompressed and hashed by the caller (`image` stays the original for the checks): not prepared again.
   * `edits`: an edit list (edit-list.ts) made for it, flashed laid over it; `recipeSha256` names the recipe that made it.
   */
  prepared?: { raw: string; sha256: string; edits?: string; recipeSha256?: string }
  /** Customise on the way (quick customisation only): the source is flashed with the recipe's edits laid over it. */
  recipe?: FlashRecipe
}

/** What is flashed: the source, or the source with a recipe's edits laid over it. */
interface View {
  edits: Edit[]
  recipeSha256: string | null
}

export const targetName = (target: FlashTarget) => (target.kind === 'drive' ? target.drive.device : path.resolve(target.path))

export async function flashImage(options: FlashOptions): Promise<CardRecord[]> {
  const { targets, verify = true, trim = true, onProgress = () => {} } = options
  const jobId = options.jobId ?? randomUUID()
  if (targets.length === 0) throw new BuildError('INVALID_RECIPE', 'No destination to flash to')
  const names = targets.map(targetName)
  const duplicate = names.find((name, index) => names.indexOf(name) !== index)
  if (duplicate) throw new BuildError('INVALID_RECIPE', `${duplicate} is listed twice as a destination`)
  if (options.recipe && options.prepared) throw new BuildError('INVALID_INPUT', 'A flash takes a recipe or a prepared edit list, not both')
  // An ARM recipe is refused before the image is even read.
  if (options.recipe) await checkFlashRecipe(options.recipe)
  for (const name of names) onProgress({ target: name, phase: 'preparing', message: 'preparing the image' })

  const cache = options.cache ?? cacheDir()
  const source = options.prepared ? await preparedSource(options.image, options.prepared) : await prepareSource(options.image, cache, options.signal)
  let editsFile: string | null = null
  try {
    await refuseUnsafe(targets, source, options)
    // Every device's files are made (and so checked) before any card is touched.
    for (const device of options.devices ?? []) if (device) deviceFilesOf(device)
    let view: View = { edits: [], recipeSha256: null }
    if (options.recipe) {
      editsFile = path.join(cache, 'tmp', tempName('flash-', '.edits'))
      await mkdir(path.dirname(editsFile), { recursive: true })
      const say = (message: string) => { for (const name of names) onProgress({ target: name, phase: 'preparing', message }) }
      const made = await customiseSource(options.recipe, source, editsFile, say)
      view = { edits: (await readEditList(made.edits, source)).edits, recipeSha256: made.recipeSha256 }
    } else if (options.prepared?.edits) {
      view = { edits: (await readEditList(options.prepared.edits, source)).edits, recipeSha256: options.prepared.recipeSha256 ?? null }
    }
    if (options.signal?.aborted) throw new BuildError('CANCELLED', 'Flash cancelled before writing')
    return await writeAll(targets, source, view, { ...options, jobId, verify, trim, onProgress })
  } finally {
    if (source.temporary) await rm(source.raw, { force: true })
    if (editsFile) await rm(editsFile, { force: true })
  }
}

export interface PreparedSource {
  /** The image as given, for safety checks and records. */
  original: string
  /** An uncompressed image to read from. */
  raw: string
  temporary: boolean
  sha256: string
  size: number
}

/**
 * Compressed images are decompressed first, with all cores (xz -T0 runs several times faster
 * than a streaming decompressor), hashing the image on the way; a broken archive fails here,
 * before any destination is touched.
 */
export async function prepareSource(image: string, cache: string, signal?: AbortSignal): Promise<PreparedSource> {
  const info = await stat(image).catch(() => null)
  if (!info?.isFile()) throw new BuildError('NOT_FOUND', `Image not found: ${image}`)
  const format = await sniffFormat(image)
  if (format === 'unknown') throw new BuildError('INVALID_SOURCE', `${image} is neither a disk image nor a .xz, .gz or .zip archive of one`)
  if (format === 'img') return { original: image, raw: image, temporary: false, sha256: await sha256File(image, { signal }), size: info.size }

  const tmp = path.join(cache, 'tmp')
  await mkdir(tmp, { recursive: true })
  await removeStaleTemps(tmp, 'flash-', { suffix: '.img' }) // images a killed flash decompressed
  await removeStaleTemps(tmp, 'flash-', { suffix: '.edits' }) // and the edit lists it made
  const raw = path.join(tmp, tempName('flash-', '.img'))
  const hash = createHash('sha256')
  await decompress(image, format, raw, (chunk) => hash.update(chunk))
  if ((await sniffFormat(raw)) !== 'img') {
    await rm(raw, { force: true })
    throw new BuildError('INVALID_SOURCE', `${image} decompresses to something that is not a disk image (no partition table)`)
  }
  return { original: image, raw, temporary: true, sha256: hash.digest('hex'), size: (await stat(raw)).size }
}

/** A source the caller prepared: only checked to be an uncompressed image (so the elevated writer never decompresses). */
async function preparedSource(image: string, prepared: { raw: string; sha256: string }): Promise<PreparedSource> {
  const info = await stat(prepared.raw).catch(() => null)
  if (!info?.isFile() || (await sniffFormat(prepared.raw)) !== 'img') throw new BuildError('INVALID_SOURCE', `${prepared.raw} is not an uncompressed disk image`)
  return { original: image, raw: prepared.raw, temporary: false, sha256: prepared.sha256, size: info.size }
}

/** Every reason not to write, for every destination, before anything is written. */
export async function refuseUnsafe(targets: FlashTarget[], source: PreparedSource, options: FlashOptions): Promise<void> {
  const problems: string[] = []
  for (const target of targets) {
    const name = targetName(target)
    const issues: DriveIssue[] =
      target.kind === 'drive'
        ? [source.original, source.raw].flatMap((imagePath) =>
            checkDrive(target.drive, {
              imageSize: source.size,
              imagePath: path.resolve(imagePath),
              busyDevices: options.busyDevices ?? [],
              allowSystemDrives: options.allowSystemDrives ?? false,
            }),
          )
        : await checkFileTarget(name, source)
    const unique = [...new Map(issues.map((issue) => [`${issue.code}:${issue.message}`, issue])).values()]
    for (const issue of unique.filter((i) => i.severity === 'warning')) {
      options.onProgress?.({ target: name, phase: 'preparing', message: `warning: ${issue.message}` })
    }
    if (!isFlashable(unique)) problems.push(...unique.filter((i) => i.severity === 'error').map((i) => `${name}: ${i.message}`))
  }
  if (problems.length) throw refusal(problems)
}

async function checkFileTarget(file: string, source: PreparedSource): Promise<DriveIssue[]> {
  const issue = (message: string): DriveIssue[] => [{ code: 'READ_ONLY', severity: 'error', message }]
  if ([source.original, source.raw].some((image) => path.resolve(image) === file)) return issue(`${file} is the image itself`)
  const problem = fileDestinationProblem(file, await inspectDestination(file))
  if (problem) return issue(problem)
  const existing = await stat(file).catch(() => null)
  const dir = await statfs(path.dirname(file)).catch(() => null)
  if (!dir) return issue(`the folder ${path.dirname(file)} does not exist`)
  const free = dir.bavail * dir.bsize + (existing?.size ?? 0)
  if (free < source.size) {
    return [{ code: 'TOO_SMALL', severity: 'error', message: `${path.dirname(file)} has ${formatBytes(free)} free, the image needs ${formatBytes(source.size)}` }]
  }
  return []
}

interface WriteOptions extends FlashOptions {
  jobId: string
  verify: boolean
  trim: boolean
  onProgress: (progress: FlashProgress) => void
}

async function writeAll(targets: FlashTarget[], source: PreparedSource, view: View, options: WriteOptions): Promise<CardRecord[]> {
  const startedAt = new Date().toISOString()
  const destinations = targets.map((target, index) => {
    const signal = eitherSignal(options.signal, options.targetSignals?.[index])
    return target.kind === 'drive'
      ? stopsOn(new sourceDestination.BlockDevice({ drive: target.drive.source, write: true, direct: true, unmountOnSuccess: !target.drive.virtual }), signal)
      : stopsOn(new sourceDestination.File({ path: targetName(target), write: true }), signal)
  })
  const failures = new Map<number, Error>()
  let lastReport = 0
  let lastPhase: FlashPhase | null = null
  const result = await multiWrite.decompressThenFlash({
    source: stopsOn(view.edits.length ? new EditedFile(source.raw, view.edits) : new sourceDestination.File({ path: source.raw }), options.signal),
    destinations,
    verify: options.verify,
    trim: options.trim,
    ...(options.trim ? { configure: discardFreeFatClusters } : {}),
    numBuffers: 16,
    onFail: (destination, error) => {
      const index = destinations.indexOf(destination as (typeof destinations)[number])
      failures.set(index, error)
      options.onProgress({ target: targetName(targets[index]!), phase: 'failed', message: error.message })
    },
    onProgress: (progress) => {
      const now = Date.now()
      const phase: FlashPhase = progress.type === 'verifying' ? 'verifying' : 'flashing'
      // A few updates a second per card is plenty; a change of phase always goes out.
      if (phase === lastPhase && now - lastReport < 200) return
      lastReport = now
      lastPhase = phase
      const total = progress.sparse ? progress.blockmappedSize : progress.size
      for (const [index, target] of targets.entries()) {
        if (failures.has(index)) continue
        options.onProgress({
          target: targetName(target),
          phase,
          bytes: progress.bytes,
          total,
          fraction: progress.percentage !== undefined ? Math.min(1, progress.percentage / 100) : undefined,
          speed: progress.speed,
          eta: progress.eta,
        })
      }
    },
  })

  const records: CardRecord[] = []
  for (const [index, target] of targets.entries()) {
    const name = targetName(target)
    const device = options.devices?.[index] ?? null
    const record: CardRecord = {
      jobId: options.jobId,
      destination: name,
      kind: target.kind,
      size: target.kind === 'drive' ? target.drive.size : source.size,
      serial: target.kind === 'drive' ? target.drive.serial : null,
      hostname: device?.hostname ?? null,
      imageSha256: source.sha256,
      recipeSha256: view.recipeSha256,
      bytesWritten: result.bytesWritten,
      verified: options.verify ? !failures.has(index) : null,
      deviceFilesHash: null,
      startedAt,
      endedAt: '',
      ok: false,
      error: failures.get(index)?.message ?? null,
    }
    if (!failures.has(index)) {
      try {
        // A trimmed (sparse) write can leave a file shorter than the image.
        if (target.kind === 'file') await truncate(name, source.size)
        if (device) {
          options.onProgress({ target: name, phase: 'device-files', message: `writing ${device.hostname}'s files` })
          record.deviceFilesHash = await writeDeviceFilesTo(name, device)
        }
        record.ok = true
      } catch (error) {
        record.error = `device files: ${(error as Error).message}`
      }
    }
    record.endedAt = new Date().toISOString()
    options.onProgress({ target: name, phase: record.ok ? 'done' : 'failed', ...(record.error ? { message: record.error } : {}) })
    records.push(record)
  }
  if (options.recordsFile !== null) await appendRecords(records, options.recordsFile ?? recordsFile())
  return records
}

/** etcher-sdk's trim skips free ext4 blocks; this skips free FAT clusters too (the boot partition is mostly empty). */
async function discardFreeFatClusters(disk: Disk): Promise<void> {
  const read = readerOf(disk)
  const table = await readPartitionTable(read, await disk.getCapacity()).catch(() => null)
  for (const partition of table?.partitions ?? []) {
    if ((await detectFilesystem(read, partition.offset)).kind !== 'fat') continue
    for (const range of await freeClusterRanges(read, partition)) await disk.discard(range.offset, range.length)
  }
}

export function deviceFilesOf(device: FlashDevice) {
  const { hostname, variables, files = {} } = device
  const extras: DeviceExtras = {
    runOnce: utf8(files.runOnce),
    everyTime: utf8(files.everyTime),
    resources: utf8(files.resources),
  }
  return deviceFiles({ hostname, variables }, extras)
}

async function writeDeviceFilesTo(target: string, device: FlashDevice): Promise<string> {
  const files = deviceFilesOf(device)
  return withImage(target, 'write', async (image) => (await writeDeviceFiles(image.disk, image.boot, files)).hash)
}

const utf8 = (entries: Record<string, string> = {}) => Object.fromEntries(Object.entries(entries).map(([name, text]) => [name, Buffer.from(text, 'utf8')]))
