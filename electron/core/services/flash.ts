/**
 * Flash jobs. Core prepares the image once (decompressed and hashed into its own cache) and
 * checks every destination before a byte is written; then drives go to one writer process
 * (elevated when needed: one prompt per batch) and image files are written here,
 * unprivileged (flash-halves.ts). Both halves report as one job: `flash.progress`, then
 * `flash.finished` with a record for every destination, ok only if every card is.
 * Cancel stops both, or one card alone (the others go on); nothing is reported good that was
 * not finished.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { FlashFinished, Input, Output } from '@common/contract'
import { driveTargets } from '../../../builder/src/flash/drive-targets'
import { listDrives } from '../../../builder/src/flash/drives'
import { checkFlashRecipe, customiseSource, loadFlashRecipe, type FlashRecipe } from '../../../builder/src/flash/customise-on-flash'
import { appendRecords } from '../../../builder/src/flash/records'
import { tempName } from '../../../builder/src/util/temp'
import { prepareSource, refuseUnsafe, targetName, type FlashTarget, type PreparedSource } from '../../../builder/src/flash/write'
import { cacheDir } from '../../../builder/src/util/paths'
import { OrchardError, type ErrorShape } from '@common/errors'
import { errorShape } from '../errors'
import type { EventBus } from '../events'
import { flashDrives, flashFiles, type HalfJob, type HalfResult } from './flash-halves'
import { startWriter, type WriterConnection } from './writer-connection'
import type { WriterCommand } from './writer-process'

interface RunningJob {
  devices: string[]
  cancel(): void
  /** By destination (a drive's device, a file's absolute path): stops that card alone. */
  cards: Map<string, AbortController>
  done: Promise<void>
}

const CANCELLED = new OrchardError('CANCELLED', 'Flashing was cancelled: the cards written so far are not usable').toShape()

export function createFlashService(bus: EventBus, writer: WriterCommand, recordsFile?: string, cache?: string) {
  const jobs = new Map<string, RunningJob>()

  async function start(job: Input<'flash.start'>): Promise<Output<'flash.start'>> {
    const busy = new Set([...jobs.values()].flatMap((running) => running.devices))
    const devices = job.targets.flatMap((target) => (target.kind === 'drive' ? [target.device] : []))
    const clash = devices.find((device) => busy.has(device))
    if (clash) throw new OrchardError('UNSAFE_TARGET', `${clash} is being flashed by another job`)
    if (job.devices && job.devices.length !== job.targets.length) {
      throw new OrchardError('INVALID_INPUT', `${job.devices.length} devices for ${job.targets.length} destinations`)
    }
    // A recipe that needs ARM code is refused here, before a writer starts or the image is read.
    const recipe: FlashRecipe | null = job.recipe ? await loadFlashRecipe(job.recipe) : null
    if (recipe) await checkFlashRecipe(recipe)

    const jobId = randomUUID()
    const abort = new AbortController()
    const cards = new Map(job.targets.map((target) => [target.kind === 'drive' ? target.device : path.resolve(target.path), new AbortController()]))
    const running: RunningJob = { devices, cancel: () => abort.abort(), cards, done: Promise.resolve() }
    jobs.set(jobId, running) // its drives are busy from now, while the writer starts
    let connection: WriterConnection | null = null
    try {
      // Started first: its elevation prompt is answered before the image is prepared.
      connection = devices.length > 0 ? await startWriter(writer, devices) : null
    } catch (error) {
      jobs.delete(jobId)
      throw error
    }
    running.cancel = () => {
      abort.abort()
      connection?.stop()
    }
    running.done = runJob(jobId, job, recipe, connection, abort.signal, cards, [...busy])
      .catch((error: unknown): FlashFinished => ({ jobId, ok: false, records: [], error: errorShape(error) }))
      .then((finished) => {
        jobs.delete(jobId)
        bus.emit('flash.finished', finished)
      })
    return { jobId }
  }

  async function runJob(
    jobId: string,
    job: Input<'flash.start'>,
    recipe: FlashRecipe | null,
    connection: WriterConnection | null, signal: AbortSignal, cards: RunningJob['cards'], busyDevices: string[]): Promise<FlashFinished> {
    const onProgress: HalfJob['onProgress'] = (progress) => bus.emit('flash.progress', { ...progress, jobId })
    const cancelled = () => (signal.aborted ? CANCELLED : null)
    let source: PreparedSource | null = null
    let editsFile: string | null = null
    try {
      const targets = await resolveTargets(job)
      for (const target of targets) onProgress({ target: targetName(target), phase: 'preparing', message: 'preparing the image' })
      source = await prepareSource(job.image, cache ?? cacheDir(), signal)
      // Every destination checked before a byte is written; the writer checks its drives again.
      await refuseUnsafe(targets, source, { image: job.image, targets, busyDevices, onProgress })
      if (signal.aborted) return { jobId, ok: false, records: [], error: CANCELLED }
      let edits: HalfJob['edits']
      if (recipe) {
        // Beside the prepared source, readable by the writer as the source is (caller-access.ts).
        editsFile = path.join(cache ?? cacheDir(), 'tmp', tempName('flash-', '.edits'))
        await mkdir(path.dirname(editsFile), { recursive: true })
        const say = (message: string) => { for (const target of targets) onProgress({ target: targetName(target), phase: 'preparing', message }) }
        const made = await customiseSource(recipe, source, editsFile, say)
        edits = { file: made.edits, recipeSha256: made.recipeSha256 }
        if (signal.aborted) return { jobId, ok: false, records: [], error: CANCELLED }
      }

      const half: HalfJob = { jobId, image: job.image, source, ...(edits && { edits }), verify: job.verify ?? true, startedAt: new Date().toISOString(), onProgress, cancelled }
      const destinations = targets.map((target, index) => ({ target, device: job.devices?.[index] ?? null, signal: cards.get(targetName(target))?.signal }))
      const drives = destinations.flatMap((d) => (d.target.kind === 'drive' ? [{ ...d, target: d.target }] : []))
      const files = destinations.flatMap((d) => (d.target.kind === 'file' ? [{ ...d, target: d.target }] : []))
      const none: HalfResult = { records: [] }
      const [driveHalf, fileHalf] = await Promise.all([
        connection && drives.length ? flashDrives(connection, half, drives) : none,
        files.length ? flashFiles(half, files, signal) : none,
      ])
      const byName = new Map([...driveHalf.records, ...fileHalf.records].map((record) => [record.destination, record]))
      const records = targets.map((target) => byName.get(targetName(target))!)
      const error: ErrorShape | undefined = cancelled() ?? driveHalf.error ?? fileHalf.error
      return saved({ jobId, ok: !error && records.every((record) => record.ok), records, ...(error ? { error } : {}) })
    } catch (error) {
      return { jobId, ok: false, records: [], error: cancelled() ?? errorShape(error) }
    } finally {
      // The job ends when its writer is gone: nothing of it outlives flash.finished.
      await connection?.end()
      if (source?.temporary) await rm(source.raw, { force: true })
      if (editsFile) await rm(editsFile, { force: true })
    }
  }

  /** Drives as core lists them now (the writer lists them again itself), files as given. */
  async function resolveTargets(job: Input<'flash.start'>): Promise<FlashTarget[]> {
    const devices = job.targets.flatMap((target) => (target.kind === 'drive' ? [target.device] : []))
    const drives = driveTargets(devices, devices.length ? await listDrives() : [])
    return job.targets.map((target) => (target.kind === 'drive' ? drives.find((d) => d.drive.device === target.device)! : target))
  }

  async function saved(finished: FlashFinished): Promise<FlashFinished> {
    try {
      await appendRecords(finished.records, recordsFile)
      return finished
    } catch (error) {
      return { ...finished, ok: false, error: { code: 'UNWRITABLE', message: `Records not saved: ${(error as Error).message}` } }
    }
  }

  return {
    start,
    cancel({ jobId, destination }: Input<'flash.cancel'>): Output<'flash.cancel'> {
      const job = jobs.get(jobId)
      if (!job) return { cancelled: false }
      if (destination === undefined) {
        job.cancel()
        return { cancelled: true }
      }
      const card = job.cards.get(destination) ?? job.cards.get(path.resolve(destination))
      if (!card) throw new OrchardError('NOT_FOUND', `${destination} is not a destination of this job`)
      card.abort()
      return { cancelled: true }
    },
    busyDevices: () => [...jobs.values()].flatMap((job) => job.devices),
    async idle() {
      await Promise.all([...jobs.values()].map((job) => job.done))
    },
  }
}
