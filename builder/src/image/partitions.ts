/** Reads MBR and GPT partition tables. Pure over a read function, so it works on any disk. */
import { BuildError } from '../util/errors'

export const SECTOR = 512

export interface Partition {
  /** 1-based, as in /dev/sdX1 and PARTUUID=<disk id>-01. */
  index: number
  offset: number
  size: number
  /** MBR type byte as hex (`0c`, `83`) or GPT type GUID. */
  type: string
  /** GPT partition GUID, or `<disk id>-<nn>` for MBR: what PARTUUID= names. */
  partuuid: string
}

export interface PartitionTable {
  scheme: 'mbr' | 'gpt'
  /** MBR disk identifier as 8 hex digits, or the GPT disk GUID. */
  diskId: string
  partitions: Partition[]
}

export type ReadAt = (position: number, length: number) => Promise<Buffer>

const EXTENDED = new Set([0x05, 0x0f, 0x85])

/** Whether a disk's first bytes carry a partition table: the MBR boot signature (55 AA at 510) or a GPT header ("EFI PART" at 512). */
export function hasPartitionSignature(head: Buffer): boolean {
  const mbr = head.length >= SECTOR && head.readUInt16LE(510) === 0xaa55
  const gpt = head.length >= SECTOR + 8 && head.toString('latin1', SECTOR, SECTOR + 8) === 'EFI PART'
  return mbr || gpt
}

export async function readPartitionTable(read: ReadAt, capacity: number): Promise<PartitionTable> {
  if (capacity < SECTOR * 2) throw new BuildError('INVALID_IMAGE', `Not a disk image: only ${capacity} bytes`)
  const mbr = await read(0, SECTOR)
  if (mbr.readUInt16LE(510) !== 0xaa55) {
    throw new BuildError('INVALID_IMAGE', 'Not a disk image: no partition table (the boot signature 55 AA is missing)')
  }
  const entries = [0, 1, 2, 3].map((i) => mbr.subarray(446 + i * 16, 446 + (i + 1) * 16))
  if (entries.some((entry) => entry[4] === 0xee)) return readGpt(read, capacity)

  const diskId = mbr.readUInt32LE(440).toString(16).padStart(8, '0')
  const partitions: Partition[] = []
  entries.forEach((entry, i) => {
    const type = entry[4]!
    const start = entry.readUInt32LE(8)
    const sectors = entry.readUInt32LE(12)
    if (type === 0 || sectors === 0 || EXTENDED.has(type)) return
    partitions.push({
      index: i + 1,
      offset: start * SECTOR,
      size: sectors * SECTOR,
      type: type.toString(16).padStart(2, '0'),
      partuuid: `${diskId}-${String(i + 1).padStart(2, '0')}`,
    })
  })
  checkBounds(partitions, capacity)
  return { scheme: 'mbr', diskId, partitions }
}

async function readGpt(read: ReadAt, capacity: number): Promise<PartitionTable> {
  const header = await read(SECTOR, SECTOR)
  if (header.toString('latin1', 0, 8) !== 'EFI PART') throw new BuildError('INVALID_IMAGE', 'Protective MBR found but no GPT header')
  const entriesLba = Number(header.readBigUInt64LE(72))
  const count = header.readUInt32LE(80)
  const entrySize = header.readUInt32LE(84)
  if (entrySize < 128 || count > 1024) throw new BuildError('INVALID_IMAGE', 'GPT header is corrupt')
  const table = await read(entriesLba * SECTOR, count * entrySize)
  const partitions: Partition[] = []
  for (let i = 0; i < count; i++) {
    const entry = table.subarray(i * entrySize, (i + 1) * entrySize)
    const type = guid(entry.subarray(0, 16))
    if (type === '00000000-0000-0000-0000-000000000000') continue
    const first = Number(entry.readBigUInt64LE(32))
    const last = Number(entry.readBigUInt64LE(40))
    partitions.push({ index: i + 1, offset: first * SECTOR, size: (last - first + 1) * SECTOR, type, partuuid: guid(entry.subarray(16, 32)) })
  }
  checkBounds(partitions, capacity)
  return { scheme: 'gpt', diskId: guid(header.subarray(56, 72)), partitions }
}

/** GUIDs are stored mixed-endian: the first three fields little-endian. */
function guid(bytes: Buffer): string {
  const hex = (b: Buffer) => b.toString('hex')
  const le = (b: Buffer) => hex(Buffer.from(b).reverse())
  return [le(bytes.subarray(0, 4)), le(bytes.subarray(4, 6)), le(bytes.subarray(6, 8)), hex(bytes.subarray(8, 10)), hex(bytes.subarray(10, 16))].join('-')
}

function checkBounds(partitions: Partition[], capacity: number): void {
  for (const partition of partitions) {
    if (partition.offset + partition.size > capacity) {
      throw new BuildError(
        'INVALID_IMAGE',
        `Partition ${partition.index} ends at byte ${partition.offset + partition.size} but the image has only ${capacity} bytes (truncated image?)`,
      )
    }
  }
}
