/**
 * The SHA256 of the object, in object order, from parts that arrive side by side. Chunks are hashed
 * in the main thread as they arrive when their part is next in order (cheaper than a worker: no
 * copies, no messages); a part ahead of that keeps its chunks until the parts before it are in.
 */
import { createHash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'

export class OrderedHash {
  private readonly hash = createHash('sha256')
  /** Parts started and not yet wholly hashed, by index. */
  private readonly parts = new Map<number, { received: boolean; held: Buffer[] }>()
  private next = 0
  // A resumed download hashes its kept prefix (from disk) before any part.
  private prefixHashed: boolean

  /**
   * `prefixBytes`: the kept prefix of a resumed download, hashed by `hashPrefix` before any part.
   * `partHashed` runs as each part is wholly hashed, `advanced` after each step forward.
   */
  constructor(
    private readonly prefixBytes: number,
    private readonly on: { partHashed: () => void; advanced: () => void },
  ) {
    this.prefixHashed = prefixBytes === 0
  }

  /** The index of the next part to hash: every part before it is in the hash. */
  get nextToHash(): number {
    return this.next
  }

  /** Call before the part's first chunk. */
  start(index: number): void {
    this.parts.set(index, { received: false, held: [] })
  }

  add(index: number, chunk: Buffer): void {
    // What arrives while the part is not next in order is kept as is: copying costs more.
    if (this.prefixHashed && index === this.next) this.hash.update(chunk)
    else this.parts.get(index)!.held.push(chunk)
  }

  /** The part's last chunk is in. */
  received(index: number): void {
    this.parts.get(index)!.received = true
    this.advance()
  }

  /** Hashes the resumed prefix from the partial file; stops early when `signal` aborts. */
  async hashPrefix(handle: FileHandle, signal: AbortSignal): Promise<void> {
    const buffer = Buffer.allocUnsafe(4 << 20)
    for (let offset = 0; offset < this.prefixBytes && !signal.aborted; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, this.prefixBytes - offset), offset)
      if (bytesRead === 0) throw new Error('the partial file is shorter than its recorded prefix')
      this.hash.update(buffer.subarray(0, bytesRead))
      offset += bytesRead
    }
    if (signal.aborted) return
    this.prefixHashed = true
    this.advance()
  }

  digest(): string {
    return this.hash.digest('hex')
  }

  private advance(): void {
    if (!this.prefixHashed) return
    for (let part = this.parts.get(this.next); part; part = this.parts.get(this.next)) {
      for (const chunk of part.held.splice(0)) this.hash.update(chunk)
      if (!part.received) break // its next chunks go straight into the hash
      this.parts.delete(this.next++)
      this.on.partHashed()
    }
    this.on.advanced()
  }
}
