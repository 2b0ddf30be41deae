/**
 * The source a flash reads with an edit list laid over it: the customised view of a stock
 * image that is never changed itself. etcher-sdk reads every byte it writes, trims and
 * verifies through `read`, so trimming sees the customised filesystems and verification
 * compares each card with the customised view.
 */
import { sourceDestination } from 'etcher-sdk'
import type { Edit } from './edit-list'

export class EditedFile extends sourceDestination.File {
  constructor(
    path: string,
    private readonly edits: Edit[],
  ) {
    super({ path })
  }

  override async read(buffer: Buffer, bufferOffset: number, length: number, sourceOffset: number): ReturnType<sourceDestination.File['read']> {
    const result = await super.read(buffer, bufferOffset, length, sourceOffset)
    overlay(this.edits, buffer, bufferOffset, sourceOffset, result.bytesRead)
    return result
  }
}

/** Copies into `buffer` the parts of `edits` (sorted, not overlapping) that fall in [position, position + length). */
export function overlay(edits: Edit[], buffer: Buffer, bufferOffset: number, position: number, length: number): void {
  const end = position + length
  for (let i = firstEndingAfter(edits, position); i < edits.length && edits[i]!.offset < end; i++) {
    const edit = edits[i]!
    const from = Math.max(edit.offset, position)
    const to = Math.min(edit.offset + edit.data.length, end)
    edit.data.copy(buffer, bufferOffset + (from - position), from - edit.offset, to - edit.offset)
  }
}

/** Binary search: the first edit whose last byte is at or after `position`. */
function firstEndingAfter(edits: Edit[], position: number): number {
  let low = 0
  let high = edits.length
  while (low < high) {
    const middle = (low + high) >>> 1
    const edit = edits[middle]!
    if (edit.offset + edit.data.length <= position) low = middle + 1
    else high = middle
  }
  return low
}
