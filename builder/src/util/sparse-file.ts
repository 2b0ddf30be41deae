/**
 * A write stream to a file that skips blocks of zeros, leaving holes: a decompressed disk image
 * is mostly free space (Raspberry Pi OS Lite: 2.5 GiB, most of it zeros), and writing those
 * zeros costs as much as writing data while the holes read back as the same zeros. Written at
 * positions from 0; the file is truncated to the length written when the stream ends, so
 * trailing zeros still count. `xz` itself writes sparse files, but not through a pipe.
 */
import type { FileHandle } from 'node:fs/promises'
import { Writable } from 'node:stream'

/** Holes are whole blocks of this size, aligned in the file (the usual filesystem block). */
const BLOCK = 4096
const ZEROS = Buffer.alloc(BLOCK)

export function sparseFileStream(file: FileHandle): Writable {
  let position = 0
  return new Writable({
    highWaterMark: 4 * 1024 * 1024,
    write(chunk: Buffer, _encoding, done) {
      const start = position
      position += chunk.length
      writeNonZero(file, chunk, start).then(() => done(), done)
    },
    final(done) {
      file.truncate(position).then(() => done(), done)
    },
  })
}

/** Writes the runs of `chunk` (at file offset `at`) that are not whole zero blocks. */
async function writeNonZero(file: FileHandle, chunk: Buffer, at: number): Promise<void> {
  let runStart = -1
  // Pieces end at block boundaries of the file, so a zero piece is a whole hole or part of one at a chunk's edge.
  for (let offset = 0; offset < chunk.length; ) {
    const end = Math.min(chunk.length, offset + BLOCK - ((at + offset) % BLOCK))
    const zero = isZero(chunk, offset, end)
    if (!zero && runStart < 0) runStart = offset
    if (zero && runStart >= 0) {
      await writeAll(file, chunk, runStart, offset, at)
      runStart = -1
    }
    offset = end
  }
  if (runStart >= 0) await writeAll(file, chunk, runStart, chunk.length, at)
}

const isZero = (chunk: Buffer, from: number, to: number) => ZEROS.compare(chunk, from, to, 0, to - from) === 0

async function writeAll(file: FileHandle, chunk: Buffer, from: number, to: number, at: number): Promise<void> {
  while (from < to) {
    const { bytesWritten } = await file.write(chunk, from, to - from, at + from)
    from += bytesWritten
  }
}
