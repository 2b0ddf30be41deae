/**
 * One card's whole pipeline, on its own: write (the shared source, with the recipe's edits laid
 * over it), verify, the device's files written and re-read, the record. Each slot runs its own,
 * at its own card's speed; nothing here waits on another card.
 */
import type { Drive } from '../drives'
import type { CardRecord } from '../records'
import { flashImage, type FlashDevice, type FlashProgress, type PreparedSource } from '../write'

export interface SharedSource {
  image: string
  source: PreparedSource
  /** The recipe's edit list for the source, when customising on the way. */
  edits: { file: string; recipeSha256: string } | null
}

export interface CardJob {
  shared: SharedSource
  drive: Drive
  device: FlashDevice
  verify: boolean
  jobId: string
  /** Aborted when the card is pulled (or the run stops): the write stops at its next read. */
  signal: AbortSignal
  onProgress(progress: FlashProgress): void
}

/** The card's record: never throws; a refusal or failure is a failed record saying why. */
export async function flashCard(job: CardJob): Promise<CardRecord> {
  const { shared, drive, device } = job
  const startedAt = new Date().toISOString()
  try {
    const [record] = await flashImage({
      image: shared.image,
      prepared: { raw: shared.source.raw, sha256: shared.source.sha256, ...(shared.edits && { edits: shared.edits.file, recipeSha256: shared.edits.recipeSha256 }) },
      targets: [{ kind: 'drive', drive }],
      devices: [device],
      verify: job.verify,
      jobId: job.jobId,
      recordsFile: null, // the factory appends each record as its card ends
      signal: job.signal,
      onProgress: job.onProgress,
    })
    return record!
  } catch (error) {
    return {
      jobId: job.jobId,
      destination: drive.device,
      kind: 'drive',
      size: drive.size,
      serial: drive.serial,
      hostname: device.hostname,
      imageSha256: shared.source.sha256,
      recipeSha256: shared.edits?.recipeSha256 ?? null,
      bytesWritten: 0,
      verified: job.verify ? false : null,
      deviceFilesHash: null,
      startedAt,
      endedAt: new Date().toISOString(),
      ok: false,
      error: (error as Error).message,
    }
  }
}
