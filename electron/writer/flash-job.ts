/** A flash job in the writer: drives only, re-listed here, every safety rule applied again by flashImage. */
import { flashImage, type FlashProgress } from '../../builder/src/flash/write'
import type { CardRecord } from '../../builder/src/flash/records'
import type { WriterFlashJob } from '@common/writer-wire'
import { assertCallerMayRead } from './caller-access'
import { connectedDrives } from './drives'

export interface FlashJobContext {
  jobId: string
  /** Drives in this session's other running jobs. */
  busyDevices: string[]
  /** Who asked: a root writer reads only what that user could read. */
  callerUid: number
  /** Aborted by the session's `cancel` for this job. */
  signal: AbortSignal
  /** By device: aborted by a `cancel` naming that card. */
  cardSignals: Map<string, AbortSignal>
  onProgress(progress: FlashProgress): void
}

export async function runFlashJob(job: WriterFlashJob, context: FlashJobContext): Promise<CardRecord[]> {
  await assertCallerMayRead(job.raw, context.callerUid)
  if (job.edits) await assertCallerMayRead(job.edits, context.callerUid)
  const drives = await connectedDrives(job.targets.map((target) => target.device))
  return flashImage({
    image: job.image,
    prepared: { raw: job.raw, sha256: job.sha256, ...(job.edits && { edits: job.edits, recipeSha256: job.recipeSha256 }) },
    targets: drives.map((drive) => ({ kind: 'drive', drive })),
    devices: job.devices,
    verify: job.verify,
    jobId: context.jobId,
    busyDevices: context.busyDevices,
    recordsFile: null, // core keeps the records, in the user's own data dir
    onProgress: context.onProgress,
    signal: context.signal,
    targetSignals: drives.map((drive) => context.cardSignals.get(drive.device)),
  })
}
