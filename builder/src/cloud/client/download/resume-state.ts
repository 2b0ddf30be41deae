/**
 * The resume state of a download, `<dest>.partial.json` beside `<dest>.partial`: the object (bucket,
 * key, ETag, size, expected SHA256) and the verified offset, the prefix that is written, flushed and
 * hashed.
 */
import { randomUUID } from 'node:crypto'
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'

/** How often the resume state is saved (after flushing the data it vouches for). */
const SAVE_INTERVAL_MS = 5000

const StateSchema = z.object({
  format: z.literal(1),
  bucket: z.string(),
  key: z.string(),
  etag: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  verified: z.number().int().nonnegative(),
})
export type DownloadState = z.infer<typeof StateSchema>

export const partialFile = (dest: string) => `${path.resolve(dest)}.partial`
export const stateFile = (dest: string) => `${path.resolve(dest)}.partial.json`

/** Removes what an interrupted download kept for resuming. */
export async function discardPartialDownload(dest: string): Promise<void> {
  await Promise.all([rm(partialFile(dest), { force: true }), rm(stateFile(dest), { force: true })])
}

async function readState(dest: string): Promise<DownloadState | null> {
  const text = await readFile(stateFile(dest), 'utf8').catch(() => null)
  if (text === null) return null
  try {
    const parsed = StateSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

async function writeState(dest: string, state: DownloadState): Promise<void> {
  const temp = `${stateFile(dest)}.${randomUUID()}.tmp`
  await writeFile(temp, JSON.stringify(state))
  await rename(temp, stateFile(dest))
}

/**
 * The state to start from, saved: the previous one's verified offset when it was for the same object
 * towards the same hash and the partial file still has that prefix; else 0, with what was kept discarded.
 */
export async function beginState(
  dest: string,
  object: Omit<DownloadState, 'format' | 'verified'>,
): Promise<{ state: DownloadState; resumable: boolean }> {
  const { bucket, key, etag, size, sha256 } = object
  const previous = await readState(dest)
  const partialSize = await stat(partialFile(dest)).then((s) => s.size, () => -1)
  const resumable =
    previous !== null && previous.bucket === bucket && previous.key === key && previous.etag === etag && previous.size === size && previous.sha256 === sha256 && partialSize >= previous.verified
  if (!resumable) await discardPartialDownload(dest)
  const state: DownloadState = { format: 1, bucket, key, etag, size, sha256, verified: resumable ? previous.verified : 0 }
  await writeState(dest, state)
  return { state, resumable }
}

/** Saves `state` as it changes, one save at a time, each after flushing the data it vouches for. */
export class StateSaver {
  private saving: Promise<void> = Promise.resolve()
  private lastSave = Date.now()

  constructor(
    private readonly dest: string,
    private readonly state: DownloadState,
    private readonly flushData: () => Promise<void>,
  ) {}

  save(): Promise<void> {
    const snapshot = { ...this.state }
    // Best effort: a state that could not be saved leaves the previous one, an earlier offset.
    this.saving = this.saving
      .then(async () => {
        await this.flushData()
        await writeState(this.dest, snapshot)
      })
      .catch(() => {})
    return this.saving
  }

  /** Saves when the last save is SAVE_INTERVAL_MS old. */
  saveWhenDue(): void {
    if (Date.now() - this.lastSave >= SAVE_INTERVAL_MS) {
      this.lastSave = Date.now()
      void this.save()
    }
  }

  /** The saves started so far, done. */
  settled(): Promise<void> {
    return this.saving
  }
}
