/**
 * Reads MBR and GPT partition tables. Pure over a read function, so it works on any disk.
 * A card is untrusted input: a GPT must pass its CRCs (else its backup is used), and a
 * table whose partitions overlap, are empty or leave the disk is refused as INVALID_IMAGE.
 * Extended MBR partitions are skipped, not followed: a Raspberry Pi image has none, and so
 * a looping chain of logical partitions cannot make us loop.
 */
import { crc32 } from 'node:zlib'
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
/** GPT limits (UEFI §5.3): the header is 92 bytes up to a sector; entries are 128 × 2^n bytes; we read at most 1 MiB of them. */
const GPT_HEADER_MIN = 92
const GPT_ENTRY_MAX = 4096
const GPT_ARRAY_MAX = 1 << 20

const invalid = (message: string) => new BuildError('INVALID_IMAGE', message)

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
    if (type === 0 || EXTENDED.has(type)) return
    if (sectors === 0) throw invalid(`MBR partition ${i + 1} (type ${type.toString(16).padStart(2, '0')}) has no sectors`)
    if (start === 0) throw invalid(`MBR partition ${i + 1} starts at sector 0, over the partition table itself`)
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

/** The primary GPT (LBA 1), or its backup (the disk's last sector) when the primary fails a check; both bad: INVALID_IMAGE naming the primary's fault. */
async function readGpt(read: ReadAt, capacity: number): Promise<PartitionTable> {
  const lastLba = Math.floor(capacity / SECTOR) - 1
  const primary = await gptAt(read, 1, lastLba)
  if (!('problem' in primary)) return finishGpt(primary, capacity)
  const backup = await gptAt(read, lastLba, lastLba)
  if (!('problem' in backup)) return finishGpt(backup, capacity)
  throw invalid(`GPT is damaged: ${primary.problem} (and the backup at the disk's end: ${backup.problem})`)
}

interface Gpt {
  header: Buffer
  entries: Buffer
  entrySize: number
  count: number
  firstUsable: number
  lastUsable: number
}

/** The GPT header at `lba` and its entry array, each checked (signature, sizes, CRC32s), or what is wrong. */
async function gptAt(read: ReadAt, lba: number, lastLba: number): Promise<Gpt | { problem: string }> {
  const sector = await read(lba * SECTOR, SECTOR)
  if (sector.toString('latin1', 0, 8) !== 'EFI PART') return { problem: 'no GPT header' }
  const headerSize = sector.readUInt32LE(12)
  if (headerSize < GPT_HEADER_MIN || headerSize > SECTOR) return { problem: `header size ${headerSize}` }
  const header = Buffer.from(sector.subarray(0, headerSize))
  const headerCrc = header.readUInt32LE(16)
  header.writeUInt32LE(0, 16)
  if (crc32(header) >>> 0 !== headerCrc) return { problem: 'header CRC32 mismatch' }
  const entriesLba = Number(header.readBigUInt64LE(72))
  const count = header.readUInt32LE(80)
  const entrySize = header.readUInt32LE(84)
  const firstUsable = Number(header.readBigUInt64LE(40))
  const lastUsable = Number(header.readBigUInt64LE(48))
  if (entrySize < 128 || entrySize > GPT_ENTRY_MAX || entrySize % 128 !== 0) return { problem: `entry size ${entrySize}` }
  if (count * entrySize > GPT_ARRAY_MAX) return { problem: `${count} entries of ${entrySize} bytes` }
  const arraySectors = Math.ceil((count * entrySize) / SECTOR)
  if (entriesLba < 1 || entriesLba + arraySectors - 1 > lastLba) return { problem: `entry array at LBA ${entriesLba}, beyond the disk` }
  if (firstUsable < 1 || lastUsable < firstUsable || lastUsable > lastLba) return { problem: `usable LBAs ${firstUsable}..${lastUsable}` }
  const entries = await read(entriesLba * SECTOR, count * entrySize)
  if (crc32(entries) >>> 0 !== header.readUInt32LE(88)) return { problem: 'entry array CRC32 mismatch' }
  return { header, entries, entrySize, count, firstUsable, lastUsable }
}

function finishGpt({ header, entries, entrySize, count, firstUsable, lastUsable }: Gpt, capacity: number): PartitionTable {
  const partitions: Partition[] = []
  for (let i = 0; i < count; i++) {
    const entry = entries.subarray(i * entrySize, (i + 1) * entrySize)
    const type = guid(entry.subarray(0, 16))
    if (type === '00000000-0000-0000-0000-000000000000') continue
    const first = Number(entry.readBigUInt64LE(32))
    const last = Number(entry.readBigUInt64LE(40))
    if (last < first) throw invalid(`GPT partition ${i + 1} ends (LBA ${last}) before it starts (LBA ${first})`)
    if (first < firstUsable || last > lastUsable) throw invalid(`GPT partition ${i + 1} (LBA ${first}..${last}) lies outside the usable LBAs ${firstUsable}..${lastUsable}`)
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

/** Every partition inside the image, and no two sharing a byte. */
function checkBounds(partitions: Partition[], capacity: number): void {
  const sorted = [...partitions].sort((a, b) => a.offset - b.offset)
  sorted.forEach((partition, i) => {
    const next = sorted[i + 1]
    if (next && partition.offset + partition.size > next.offset) {
      throw invalid(`Partitions ${partition.index} and ${next.index} overlap (bytes ${next.offset}..${partition.offset + partition.size - 1})`)
    }
  })
  for (const partition of partitions) {
    if (partition.offset + partition.size > capacity) {
      throw new BuildError(
        'INVALID_IMAGE',
        `Partition ${partition.index} ends at byte ${partition.offset + partition.size} but the image has only ${capacity} bytes (truncated image?)`,
      )
    }
  }
}
