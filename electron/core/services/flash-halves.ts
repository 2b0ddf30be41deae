/**
 * The two halves of a flash job: drives through the writer process, image files in core
 * itself (unprivileged). Each gives a record for every one of its destinations: a half
 * that fails as a whole (refused, the writer killed, cancelled) reports each card failed
 * with the reason, never good.
 */
import { flashImage, targetName, type FlashProgress, type FlashTarget, type PreparedSource } from '../../../builder/src/flash/write'
import type { CardRecord } from '../../../builder/src/flash/records'
import type { FlashDevice } from '../../../builder/src/vocabulary'
import type { ErrorShape } from '@common/errors'
import type { WriterConnection } from './writer-connection'
import { errorShape } from '../errors'

export interface HalfJob {
  jobId: string
  image: string
  source: PreparedSource
  /** A recipe's edit list for the source (customise-on-flash.ts), laid over it on every card. */
  edits?: { file: string; recipeSha256: string }
  verify: boolean
  startedAt: string
  onProgress(progress: FlashProgress): void
  /** Set when the job was cancelled: every failure then says so. */
  cancelled(): ErrorShape | null
}

export interface HalfResult {
  records: CardRecord[]
  /** Why the whole half failed, when it did. */
  error?: ErrorShape
}

interface Destination<T extends FlashTarget = FlashTarget> {
  target: T
  device: FlashDevice | null
  /** Stops this card alone; the job's other cards go on. */
  signal?: AbortSignal
}
type DriveTarget = Extract<FlashTarget, { kind: 'drive' }>
type FileTarget = Extract<FlashTarget, { kind: 'file' }>

/**
 * `signal` stops this job alone in a writer shared by many (a writer of its own is stopped
 * instead, by its caller); a destination's own signal stops that card alone.
 */
export async function flashDrives(connection: WriterConnection, job: HalfJob, destinations: Destination<DriveTarget>[], signal?: AbortSignal): Promise<HalfResult> {
  const bytes = new Map<string, number>()
  const stops = [
    ...(signal ? [{ stop: signal, cancel: () => connection.cancel(job.jobId) }] : []),
    ...destinations.flatMap(({ target, signal: card }) => (card ? [{ stop: card, cancel: () => connection.cancel(job.jobId, target.drive.device) }] : [])),
  ]
  const onProgress = (progress: FlashProgress) => {
    if (progress.bytes !== undefined) bytes.set(progress.target, progress.bytes)
    job.onProgress(progress)
  }
  const fail = (error: ErrorShape) => failHalf(job, destinations, error, bytes)
  try {
    const ended = connection.run(
      {
        type: 'flash',
        jobId: job.jobId,
        job: {
          image: job.image,
          raw: job.source.raw,
          sha256: job.source.sha256,
          ...(job.edits && { edits: job.edits.file, recipeSha256: job.edits.recipeSha256 }),
          targets: destinations.map(({ target }) => ({ kind: 'drive', device: target.drive.device })),
          devices: destinations.map(({ device }) => device),
          verify: job.verify,
        },
      },
      onProgress,
    )
    for (const { stop, cancel } of stops) {
      stop.addEventListener('abort', cancel, { once: true })
      if (stop.aborted) cancel()
    }
    const end = await ended
    if (end.type === 'failed') return fail(end.error)
    if (end.type !== 'done') return fail({ code: 'INTERNAL', message: `The writer answered a flash with ${end.type}` })
    // Matched by destination: a card the writer did not report is not good.
    const records = destinations.map(
      (d) => end.records.find((record) => record.destination === d.target.drive.device) ?? failedRecord(job, d, 'The writer reported no result for this card', bytes),
    )
    return { records }
  } catch (error) {
    return fail(errorShape(error))
  } finally {
    for (const { stop, cancel } of stops) stop.removeEventListener('abort', cancel)
  }
}

export async function flashFiles(job: HalfJob, destinations: Destination<FileTarget>[], signal: AbortSignal): Promise<HalfResult> {
  try {
    const records = await flashImage({
      image: job.image,
      prepared: { raw: job.source.raw, sha256: job.source.sha256, ...(job.edits && { edits: job.edits.file, recipeSha256: job.edits.recipeSha256 }) },
      targets: destinations.map(({ target }) => target),
      devices: destinations.map(({ device }) => device),
      verify: job.verify,
      jobId: job.jobId,
      recordsFile: null, // the job's records are saved together
      signal,
      targetSignals: destinations.map((d) => d.signal),
      onProgress: job.onProgress,
    })
    return { records }
  } catch (error) {
    return failHalf(job, destinations, errorShape(error), new Map())
  }
}

function failHalf(job: HalfJob, destinations: Destination[], error: ErrorShape, bytes: Map<string, number>): HalfResult {
  const reason = job.cancelled() ?? error
  return { records: destinations.map((d) => failedRecord(job, d, reason.message, bytes)), error: reason }
}

function failedRecord(job: HalfJob, { target, device }: Destination, reason: string, bytes: Map<string, number>): CardRecord {
  const destination = targetName(target)
  job.onProgress({ target: destination, phase: 'failed', message: reason })
  return {
    jobId: job.jobId,
    destination,
    kind: target.kind,
    size: target.kind === 'drive' ? target.drive.size : null,
    serial: target.kind === 'drive' ? target.drive.serial : null,
    hostname: device?.hostname ?? null,
    imageSha256: job.source.sha256,
    recipeSha256: job.edits?.recipeSha256 ?? null,
    bytesWritten: bytes.get(destination) ?? 0,
    verified: job.verify ? false : null,
    deviceFilesHash: null,
    startedAt: job.startedAt,
    endedAt: new Date().toISOString(),
    ok: false,
    error: reason,
  }
}
