/**
 * Byte access to one partition of a file-disk Disk. Writes reach the disk as whole 512-byte
 * sectors (block devices demand it): an unaligned write is read, patched and written back.
 */
import type { Disk } from 'file-disk'

const ALIGN = 512

export class Device {
  /** Set once anything has been written: a read-only session leaves the disk untouched. */
  written = false

  constructor(
    private readonly disk: Disk,
    private readonly base: number,
  ) {}

  /** Zero-filled first: file-disk reports the requested length even when a read falls short. */
  async read(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length)
    if (length > 0) await this.disk.read(buffer, 0, length, this.base + position)
    return buffer
  }

  /** Reads into `target` (file-disk ignores the buffer offset, so a subarray is passed instead). */
  async readInto(target: Buffer, position: number): Promise<void> {
    if (target.length > 0) await this.disk.read(target, 0, target.length, this.base + position)
  }

  async write(position: number, data: Buffer): Promise<void> {
    if (data.length === 0) return
    this.written = true
    const at = this.base + position
    if (at % ALIGN === 0 && data.length % ALIGN === 0) {
      await this.disk.write(data, 0, data.length, at)
      return
    }
    const start = at - (at % ALIGN)
    const end = Math.ceil((at + data.length) / ALIGN) * ALIGN
    const span = Buffer.alloc(end - start)
    await this.disk.read(span, 0, span.length, start)
    data.copy(span, at - start)
    await this.disk.write(span, 0, span.length, start)
  }
}
