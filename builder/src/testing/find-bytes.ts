/**
 * Which of some strings occur anywhere in a file's raw bytes: a whole disk image (both
 * filesystems, their free blocks and slack too), a zip's members after unpacking, a log.
 * Streams the file with an overlap, so a string split across two reads is still found.
 */
import { createReadStream } from 'node:fs'

/** The needles found in `file` (UTF-8), in the order given. */
export async function stringsInFile(file: string, needles: readonly string[]): Promise<string[]> {
  const patterns = needles.map((needle) => Buffer.from(needle, 'utf8'))
  const overlap = Math.max(0, ...patterns.map((pattern) => pattern.length)) - 1
  const found = new Set<number>()
  let tail: Buffer = Buffer.alloc(0)
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) {
    const window = tail.length ? Buffer.concat([tail, chunk]) : chunk
    patterns.forEach((pattern, index) => {
      if (!found.has(index) && window.includes(pattern)) found.add(index)
    })
    tail = window.subarray(Math.max(0, window.length - overlap))
  }
  return needles.filter((_needle, index) => found.has(index))
}
