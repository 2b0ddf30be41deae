/**
 * A part's chunks written to the partial file with positional writes as they arrive: in batches
 * (one writev per MiB or so), each part's one after another.
 */
import type { FileHandle } from 'node:fs/promises'

/** Writes go out in batches of this many bytes; a part with more than WRITE_AHEAD being written waits. */
const WRITE_BATCH = 1 << 20
const WRITE_AHEAD = 8 << 20

/** Writes `chunks` at `position`, all of them (writev may write less than asked). */
async function writeAt(handle: FileHandle, chunks: Buffer[], position: number): Promise<void> {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
  let done = (await handle.writev(chunks, position)).bytesWritten
  if (done === total) return
  const all = Buffer.concat(chunks)
  while (done < total) done += (await handle.write(all, done, total - done, position + done)).bytesWritten
}

export class PartWrites {
  private unwritten: Buffer[] = []
  private unwrittenBytes = 0
  private writingBytes = 0
  /** The part's writes so far, one after another. */
  writing: Promise<void> = Promise.resolve()

  /**
   * `stopped`: true after the download failed (the rest is then not written, and its part never
   * counts as written); `written` runs after each write, `failed` when one fails.
   */
  constructor(
    private readonly handle: FileHandle,
    private readonly on: { stopped: () => boolean; written: () => void; failed: (error: unknown) => void },
  ) {}

  /** Queues `chunk`, which ends at `end` in the file; a full batch goes out. */
  add(chunk: Buffer, end: number): void {
    this.unwritten.push(chunk)
    this.unwrittenBytes += chunk.length
    if (this.unwrittenBytes >= WRITE_BATCH) this.flush(end - this.unwrittenBytes)
  }

  /** Writes what is queued, which ends at `end`. */
  finish(end: number): void {
    if (this.unwrittenBytes > 0) this.flush(end - this.unwrittenBytes)
  }

  /** Too much is being written: a disk slower than the network should hold the connection back (await `writing`). */
  get behind(): boolean {
    return this.writingBytes >= WRITE_AHEAD
  }

  /** Everything queued is written. */
  get done(): boolean {
    return this.writingBytes === 0 && this.unwrittenBytes === 0
  }

  private flush(position: number): void {
    const chunks = this.unwritten.splice(0)
    const bytes = this.unwrittenBytes
    this.unwrittenBytes = 0
    this.writingBytes += bytes
    this.writing = this.writing.then(async () => {
      if (this.on.stopped()) return
      await writeAt(this.handle, chunks, position)
      this.writingBytes -= bytes
      this.on.written()
    })
    this.writing.catch(this.on.failed)
  }
}
