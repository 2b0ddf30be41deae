/** The object cut into parts, each fetched with one ranged GET (again from its last byte after a cut). */
import { BuildError } from '../../../util/errors'

export interface Part {
  start: number
  /** Exclusive. */
  end: number
}

/** Pure: the parts from `start` to `size`. */
export function planParts(start: number, size: number, partSize: number): Part[] {
  if (!(partSize > 0)) throw new BuildError('INVALID_INPUT', `Part size must be positive, not ${partSize}`)
  const parts: Part[] = []
  for (let offset = start; offset < size; offset += partSize) parts.push({ start: offset, end: Math.min(size, offset + partSize) })
  return parts
}
