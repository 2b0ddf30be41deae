/** The edit list's file form (round trip, every malformed input refused) and the overlay a flash reads through. */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseEditList, readEditList, serialiseEditList, writeEditList, type EditList } from './edit-list'
import { overlay } from './edited-source'

const SHA = 'ab'.repeat(32)
const list = (edits: [number, string][], sourceSize = 100): EditList => ({
  sourceSize,
  sourceSha256: SHA,
  edits: edits.map(([offset, text]) => ({ offset, data: Buffer.from(text) })),
})

describe('edit list', () => {
  it('round-trips offsets, bytes, the source size and SHA256', () => {
    const original = list([[0, 'abc'], [10, 'xyz'], [97, '123']])
    const parsed = parseEditList(serialiseEditList(original))
    expect(parsed.sourceSize).toBe(100)
    expect(parsed.sourceSha256).toBe(SHA)
    expect(parsed.edits.map((e) => [e.offset, e.data.toString()])).toEqual([[0, 'abc'], [10, 'xyz'], [97, '123']])
  })

  it('refuses overlapping, unsorted, empty and out-of-range edits', () => {
    expect(() => serialiseEditList(list([[0, 'abc'], [2, 'x']]))).toThrow(/edit 2 \(offset 2, 1 bytes\) overlaps/)
    expect(() => serialiseEditList(list([[10, 'a'], [5, 'b']]))).toThrow(/edit 2 .* overlaps or comes before/)
    expect(() => serialiseEditList(list([[5, '']]))).toThrow(/has no bytes/)
    expect(() => serialiseEditList(list([[98, 'abc']]))).toThrow(/ends past the source's 100 bytes/)
  })

  it('refuses a file that is not an edit list, cut short or with bytes left over', () => {
    const bytes = serialiseEditList(list([[0, 'abc'], [10, 'xyz']]))
    expect(() => parseEditList(Buffer.from('hello world, not an edit list at all, really not one'), 'x.edits')).toThrow('x.edits is not a valid edit list: no ORCHEDT1 header')
    expect(() => parseEditList(bytes.subarray(0, bytes.length - 1))).toThrow(/edit 2 of 2 is cut short/)
    expect(() => parseEditList(bytes.subarray(0, 52 + 12 + 3 + 4))).toThrow(/ends inside edit 2 of 2/)
    expect(() => parseEditList(Buffer.concat([bytes, Buffer.from('!')]))).toThrow(/1 bytes after the last edit/)
  })
})

describe('readEditList', () => {
  it('reads a list back only for the source it was made for', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-edits-'))
    try {
      const file = path.join(dir, 'a.edits')
      await writeEditList(file, list([[4, 'abc']]))
      expect((await readEditList(file, { size: 100, sha256: SHA })).edits[0]!.data.toString()).toBe('abc')
      await expect(readEditList(file, { size: 100, sha256: 'cd'.repeat(32) })).rejects.toThrow(
        `${file} was made for another source (sha256 abababababab…, 100 bytes), not this one (sha256 cdcdcdcdcdcd…, 100 bytes)`,
      )
      await expect(readEditList(file, { size: 101, sha256: SHA })).rejects.toThrow(/made for another source/)
      await expect(readEditList(path.join(dir, 'none.edits'), { size: 100, sha256: SHA })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('overlay', () => {
  const edits = list([[2, 'AB'], [6, 'CDE'], [20, 'Z']]).edits
  const read = (position: number, length: number) => {
    const buffer = Buffer.from('.'.repeat(length + 2))
    overlay(edits, buffer, 1, position, length)
    return buffer.toString()
  }

  it('lays every edit over the bytes read, where the read starts and ends inside edits', () => {
    expect(read(0, 10)).toBe('...AB..CDE..')
    expect(read(3, 4)).toBe('.B..C.')
    expect(read(7, 2)).toBe('.DE.')
    expect(read(10, 10)).toBe('............')
    expect(read(15, 10)).toBe('......Z.....')
  })
})
