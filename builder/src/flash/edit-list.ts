/**
 * An edit list: the bytes a quick customisation changed in a source image, as a small file
 * (offset + bytes per edited range). The source stays untouched; a flash reads the source with
 * these edits laid over it (edited-source.ts). A file, not memory, because the reader may be
 * another process: the elevated writer gets the source path and this file's path.
 *
 * Layout (little-endian): magic "ORCHEDT1", u64 source size, 32 bytes source SHA256, u32 count,
 * then per edit u64 offset, u32 length, the bytes. Edits are sorted and never overlap.
 */
import { readFile, writeFile } from 'node:fs/promises'
import type { DiskChunk } from 'file-disk'
import { BuildError } from '../util/errors'

export interface Edit {
  offset: number
  data: Buffer
}

export interface EditList {
  sourceSize: number
  sourceSha256: string
  edits: Edit[]
}

const MAGIC = Buffer.from('ORCHEDT1', 'latin1')
const HEADER = MAGIC.length + 8 + 32 + 4
const ENTRY = 8 + 4
const MAX_EDIT = 0xffff_ffff

/** The recorded writes of a copy-on-write disk (file-disk keeps them sorted and merged) as edits. */
export function editsOf(chunks: DiskChunk[]): Edit[] {
  return chunks.map((chunk) => ({ offset: chunk.start, data: chunk.data() }))
}

export function serialiseEditList(list: EditList): Buffer {
  checkEdits(list, 'edit list')
  const header = Buffer.alloc(HEADER)
  MAGIC.copy(header, 0)
  header.writeBigUInt64LE(BigInt(list.sourceSize), 8)
  Buffer.from(list.sourceSha256, 'hex').copy(header, 16)
  header.writeUInt32LE(list.edits.length, 48)
  const parts: Buffer[] = [header]
  for (const edit of list.edits) {
    const entry = Buffer.alloc(ENTRY)
    entry.writeBigUInt64LE(BigInt(edit.offset), 0)
    entry.writeUInt32LE(edit.data.length, 8)
    parts.push(entry, edit.data)
  }
  return Buffer.concat(parts)
}

export function parseEditList(bytes: Buffer, what = 'edit list'): EditList {
  const bad = (why: string) => new BuildError('INVALID_SOURCE', `${what} is not a valid edit list: ${why}`)
  if (bytes.length < HEADER || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('no ORCHEDT1 header')
  const sourceSize = Number(bytes.readBigUInt64LE(8))
  const sourceSha256 = bytes.subarray(16, 48).toString('hex')
  const count = bytes.readUInt32LE(48)
  const edits: Edit[] = []
  let at = HEADER
  for (let i = 0; i < count; i++) {
    if (at + ENTRY > bytes.length) throw bad(`it ends inside edit ${i + 1} of ${count}`)
    const offset = Number(bytes.readBigUInt64LE(at))
    const length = bytes.readUInt32LE(at + 8)
    at += ENTRY
    if (at + length > bytes.length) throw bad(`edit ${i + 1} of ${count} is cut short`)
    edits.push({ offset, data: bytes.subarray(at, at + length) })
    at += length
  }
  if (at !== bytes.length) throw bad(`${bytes.length - at} bytes after the last edit`)
  const list = { sourceSize, sourceSha256, edits }
  checkEdits(list, what)
  return list
}

/** Sorted, not overlapping, inside the source, not empty: what the reader relies on. */
function checkEdits({ sourceSize, sourceSha256, edits }: EditList, what: string): void {
  const bad = (why: string) => new BuildError('INVALID_SOURCE', `${what} is not a valid edit list: ${why}`)
  if (!/^[a-f0-9]{64}$/.test(sourceSha256)) throw bad('the source SHA256 is not 64 hexadecimal characters')
  if (!Number.isSafeInteger(sourceSize) || sourceSize <= 0) throw bad(`a source of ${sourceSize} bytes`)
  let end = 0
  for (const [i, edit] of edits.entries()) {
    const where = `edit ${i + 1} (offset ${edit.offset}, ${edit.data.length} bytes)`
    if (edit.data.length === 0 || edit.data.length > MAX_EDIT) throw bad(`${where} has no bytes or more than 4 GiB`)
    if (!Number.isSafeInteger(edit.offset) || edit.offset < end) throw bad(`${where} overlaps or comes before the edit before it`)
    end = edit.offset + edit.data.length
    if (end > sourceSize) throw bad(`${where} ends past the source's ${sourceSize} bytes`)
  }
}

export async function writeEditList(file: string, list: EditList): Promise<void> {
  await writeFile(file, serialiseEditList(list), { mode: 0o600 })
}

/** Reads an edit list and checks it was made for this very source. */
export async function readEditList(file: string, source: { size: number; sha256: string }): Promise<EditList> {
  const bytes = await readFile(file).catch(() => {
    throw new BuildError('NOT_FOUND', `Edit list not found: ${file}`)
  })
  const list = parseEditList(bytes, file)
  if (list.sourceSha256 !== source.sha256 || list.sourceSize !== source.size) {
    throw new BuildError(
      'INVALID_SOURCE',
      `${file} was made for another source (sha256 ${list.sourceSha256.slice(0, 12)}…, ${list.sourceSize} bytes), not this one (sha256 ${source.sha256.slice(0, 12)}…, ${source.size} bytes)`,
    )
  }
  return list
}
