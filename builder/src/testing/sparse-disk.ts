/**
 * For fuzzing: a file-disk Disk of `capacity` bytes whose first bytes are a Buffer (where a
 * filesystem's metadata and files live) and the rest zeros, with writes there kept per
 * 512-byte sector. Each fuzz case then copies kilobytes, not a whole 34 MiB image.
 */
import { Disk, type ReadResult, type WriteResult } from 'file-disk'

const SECTOR = 512

export class SparseDisk extends Disk {
  /** Sectors written beyond `head`, by index. */
  readonly tail = new Map<number, Buffer>()

  constructor(
    readonly head: Buffer,
    private readonly size: number,
  ) {
    super(false, false, false, false)
    if (head.length % SECTOR !== 0) throw new Error('the head must be whole sectors')
  }

  protected async _getCapacity(): Promise<number> {
    return this.size
  }

  protected async _read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<ReadResult> {
    const end = Math.min(fileOffset + length, this.size)
    for (let at = fileOffset; at < end; ) {
      const sector = Math.floor(at / SECTOR)
      const within = at % SECTOR
      const take = Math.min(SECTOR - within, end - at)
      const source = at < this.head.length ? this.head.subarray(sector * SECTOR, (sector + 1) * SECTOR) : this.tail.get(sector)
      const target = buffer.subarray(bufferOffset + (at - fileOffset), bufferOffset + (at - fileOffset) + take)
      if (source) source.copy(target, 0, within, within + take)
      else target.fill(0)
      at += take
    }
    return { buffer, bytesRead: Math.max(0, end - fileOffset) }
  }

  protected async _write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<WriteResult> {
    for (let at = fileOffset; at < fileOffset + length; ) {
      const sector = Math.floor(at / SECTOR)
      const within = at % SECTOR
      const take = Math.min(SECTOR - within, fileOffset + length - at)
      const from = buffer.subarray(bufferOffset + (at - fileOffset), bufferOffset + (at - fileOffset) + take)
      if (at < this.head.length) from.copy(this.head, at)
      else {
        const stored = this.tail.get(sector) ?? Buffer.alloc(SECTOR)
        from.copy(stored, within)
        this.tail.set(sector, stored)
      }
      at += take
    }
    return { buffer, bytesWritten: length }
  }

  protected async _flush(): Promise<void> {}
}
