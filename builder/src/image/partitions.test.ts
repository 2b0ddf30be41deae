/**
 * Partition tables as a hostile card or image may hold them: built in memory, then damaged
 * field by field and byte by byte (fast-check). Every read is a clear INVALID_IMAGE or a
 * table whose partitions lie inside the disk, are not empty and do not overlap. The
 * literal cases that once read garbage or threw something else are kept by name.
 */
import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BuildError } from '../util/errors'
import { fuzzRuns, fuzzSummary } from '../testing/fuzz'
import { readPartitionTable, type PartitionTable } from './partitions'

const SECTOR = 512
const DISK = 64 * 2048 * SECTOR // 64 MiB, never allocated: reads beyond what we hold are zeros
const EFI_DATA = Buffer.from('a2a0d0ebe5b9334487c068b6b72699c7', 'hex') // EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, stored mixed-endian
const LINUX = Buffer.from('af3dc60f838472478e793d69d8477de4', 'hex')

/** A disk's first and last sectors; everything else reads as zeros. */
interface Image {
  head: Buffer
  tail: Buffer
  capacity: number
}

/** Copies the part of `source` (placed at byte `at` of the disk) that falls in [position, position + out.length). */
function place(out: Buffer, position: number, source: Buffer, at: number): void {
  const from = Math.max(position, at)
  const to = Math.min(position + out.length, at + source.length)
  if (from < to) source.copy(out, from - position, from - at, to - at)
}

const reader = (image: Image) => async (position: number, length: number) => {
  const out = Buffer.alloc(length)
  place(out, position, image.head, 0)
  place(out, position, image.tail, image.capacity - image.tail.length)
  return out
}

const read = (image: Image) => readPartitionTable(reader(image), image.capacity)

/** Like Raspberry Pi OS: 0c at 8192 (256 MiB there would not fit, so 32 MiB), 83 after it. */
function mbr(): Image {
  const head = Buffer.alloc(SECTOR)
  head.writeUInt32LE(0x5e3da3da, 440)
  const entry = (i: number, type: number, start: number, sectors: number) => {
    head[446 + i * 16 + 4] = type
    head.writeUInt32LE(start, 446 + i * 16 + 8)
    head.writeUInt32LE(sectors, 446 + i * 16 + 12)
  }
  entry(0, 0x0c, 8192, 65536)
  entry(1, 0x83, 73728, 40000)
  head.writeUInt16LE(0xaa55, 510)
  return { head, tail: Buffer.alloc(0), capacity: DISK }
}

/** A GPT as sgdisk writes it: protective MBR, header at LBA 1, 128 entries from LBA 2, the backup at the end. */
function gpt(): Image {
  const lastLba = DISK / SECTOR - 1
  const entries = Buffer.alloc(128 * 128)
  const entry = (i: number, type: Buffer, first: number, last: number) => {
    type.copy(entries, i * 128)
    entries.writeUInt32LE(0x1000 + i, i * 128 + 16) // a partition GUID
    entries.writeBigUInt64LE(BigInt(first), i * 128 + 32)
    entries.writeBigUInt64LE(BigInt(last), i * 128 + 40)
  }
  entry(0, EFI_DATA, 2048, 67583)
  entry(1, LINUX, 67584, 107583)
  const header = (self: number, alternate: number, entriesLba: number) => {
    const h = Buffer.alloc(SECTOR)
    h.write('EFI PART', 0, 'latin1')
    h.writeUInt32LE(0x00010000, 8)
    h.writeUInt32LE(92, 12)
    h.writeBigUInt64LE(BigInt(self), 24)
    h.writeBigUInt64LE(BigInt(alternate), 32)
    h.writeBigUInt64LE(34n, 40)
    h.writeBigUInt64LE(BigInt(lastLba - 33), 48)
    h.writeUInt32LE(0xdeadbeef, 56) // disk GUID
    h.writeBigUInt64LE(BigInt(entriesLba), 72)
    h.writeUInt32LE(128, 80)
    h.writeUInt32LE(128, 84)
    h.writeUInt32LE(crc32(entries) >>> 0, 88)
    h.writeUInt32LE(crc32(h.subarray(0, 92)) >>> 0, 16)
    return h
  }
  const pmbr = Buffer.alloc(SECTOR)
  pmbr[446 + 4] = 0xee
  pmbr.writeUInt32LE(1, 446 + 8)
  pmbr.writeUInt32LE(0xffffffff, 446 + 12)
  pmbr.writeUInt16LE(0xaa55, 510)
  const head = Buffer.concat([pmbr, header(1, lastLba, 2), entries])
  const tail = Buffer.concat([entries, header(lastLba, 1, lastLba - 32)])
  return { head, tail, capacity: DISK }
}

/** Recomputes the primary header's CRC after a field was changed on purpose. */
function resealPrimary(image: Image): void {
  const h = image.head.subarray(SECTOR, SECTOR + 92)
  h.writeUInt32LE(0, 16)
  h.writeUInt32LE(crc32(h) >>> 0, 16)
}

/** What every table we return must hold. */
function expectSane(table: PartitionTable, capacity: number): void {
  const sorted = [...table.partitions].sort((a, b) => a.offset - b.offset)
  sorted.forEach((p, i) => {
    expect(p.size).toBeGreaterThan(0)
    expect(p.offset).toBeGreaterThanOrEqual(SECTOR)
    expect(p.offset + p.size).toBeLessThanOrEqual(capacity)
    expect(Number.isSafeInteger(p.offset) && Number.isSafeInteger(p.size)).toBe(true)
    if (sorted[i + 1]) expect(p.offset + p.size).toBeLessThanOrEqual(sorted[i + 1]!.offset)
  })
}

/** A read must give a sane table or INVALID_IMAGE; anything else (a RangeError, a hang) fails. */
async function readOrRefuse(image: Image): Promise<PartitionTable | BuildError> {
  try {
    const table = await read(image)
    expectSane(table, image.capacity)
    return table
  } catch (error) {
    if (error instanceof BuildError && error.code === 'INVALID_IMAGE') return error
    throw error
  }
}

describe('readPartitionTable on hostile tables', () => {
  it('reads the tables it is given intact', async () => {
    expect((await read(mbr())).partitions.map(({ offset, size, type }) => ({ offset, size, type }))).toEqual([
      { offset: 8192 * SECTOR, size: 65536 * SECTOR, type: '0c' },
      { offset: 73728 * SECTOR, size: 40000 * SECTOR, type: '83' },
    ])
    const table = await read(gpt())
    expect(table.scheme).toBe('gpt')
    expect(table.partitions.map(({ offset, size, type }) => ({ offset, size, type }))).toEqual([
      { offset: 2048 * SECTOR, size: 65536 * SECTOR, type: 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7' },
      { offset: 67584 * SECTOR, size: 40000 * SECTOR, type: '0fc63daf-8483-4772-8e79-3d69d8477de4' },
    ])
  })

  const mbrCases: Array<[string, (head: Buffer) => void, RegExp]> = [
    ['overlapping partitions', (h) => h.writeUInt32LE(8192 + 1000, 446 + 16 + 8), /Partitions 1 and 2 overlap/],
    ['a partition beyond the disk end', (h) => h.writeUInt32LE(0xffffffff, 446 + 16 + 12), /ends at byte \d+ but the image has only/],
    ['a partition with zero sectors', (h) => h.writeUInt32LE(0, 446 + 12), /partition 1 \(type 0c\) has no sectors/],
    ['a partition starting at sector 0', (h) => h.writeUInt32LE(0, 446 + 8), /starts at sector 0, over the partition table/],
  ]
  it.each(mbrCases)('MBR with %s: INVALID_IMAGE', async (_name, damage, message) => {
    const image = mbr()
    damage(image.head)
    await expect(read(image)).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(message) })
  })

  it('MBR with an extended partition whose chain loops: the primaries, at once (logical partitions are not followed)', async () => {
    const image = mbr()
    // Partition 3: extended, its first EBR at sector 2048 pointing at itself.
    image.head[446 + 32 + 4] = 0x05
    image.head.writeUInt32LE(2048, 446 + 32 + 8)
    image.head.writeUInt32LE(4096, 446 + 32 + 12)
    expect((await read(image)).partitions.map((p) => p.index)).toEqual([1, 2])
  })

  it('GPT whose primary header fails its CRC: the backup is read', async () => {
    const image = gpt()
    image.head.writeUInt32LE(0x12345678, SECTOR + 16)
    expect((await read(image)).partitions.map((p) => p.offset)).toEqual([2048 * SECTOR, 67584 * SECTOR])
  })

  const gptCases: Array<[string, (image: Image) => void, RegExp]> = [
    ['both headers failing their CRC', (i) => {
      i.head.writeUInt32LE(1, SECTOR + 16)
      i.tail.writeUInt32LE(1, i.tail.length - SECTOR + 16)
    }, /GPT is damaged: header CRC32 mismatch \(and the backup at the disk's end: header CRC32 mismatch\)/],
    ['an entry array failing its CRC and no backup', (i) => {
      i.head[2 * SECTOR + 200] = i.head[2 * SECTOR + 200]! ^ 0xff
      i.tail = Buffer.alloc(0)
    }, /entry array CRC32 mismatch \(and the backup at the disk's end: no GPT header\)/],
    // Once: entry size 0xffffffff × 1024 entries asked for a 4 TiB buffer (RangeError, not a clear error).
    ['a huge entry size, CRC right', (i) => {
      i.head.writeUInt32LE(0xfffffff0, SECTOR + 84)
      resealPrimary(i)
      i.tail = Buffer.alloc(0)
    }, /entry size 4294967280/],
    ['the entry array beyond the disk, CRC right', (i) => {
      i.head.writeBigUInt64LE(1n << 40n, SECTOR + 72)
      resealPrimary(i)
      i.tail = Buffer.alloc(0)
    }, /entry array at LBA 1099511627776, beyond the disk/],
  ]
  it.each(gptCases)('GPT with %s: INVALID_IMAGE', async (_name, damage, message) => {
    const image = gpt()
    damage(image)
    await expect(read(image)).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(message) })
  })

  /** A GPT entry changed and both copies resealed: the table's own CRCs cannot help. */
  function gptWithEntry(first: bigint, last: bigint): Image {
    const image = gpt()
    for (const [buffer, entriesAt, headerAt] of [[image.head, 2 * SECTOR, SECTOR], [image.tail, 0, image.tail.length - SECTOR]] as const) {
      buffer.writeBigUInt64LE(first, entriesAt + 128 + 32)
      buffer.writeBigUInt64LE(last, entriesAt + 128 + 40)
      const h = buffer.subarray(headerAt, headerAt + 92)
      h.writeUInt32LE(crc32(buffer.subarray(entriesAt, entriesAt + 128 * 128)) >>> 0, 88)
      h.writeUInt32LE(0, 16)
      h.writeUInt32LE(crc32(h) >>> 0, 16)
    }
    return image
  }
  it.each([
    ['ending before it starts', 70000n, 69999n, /ends \(LBA 69999\) before it starts \(LBA 70000\)/],
    ['overlapping the first', 60000n, 100000n, /Partitions 1 and 2 overlap/],
    ['outside the usable LBAs', 67584n, 1n << 60n, /lies outside the usable LBAs/],
  ])('GPT with a valid CRC and a partition %s: INVALID_IMAGE', async (_name, first, last, message) => {
    await expect(read(gptWithEntry(first, last))).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(message) })
  })

  const MBR_FIELDS = [0, 1, 2, 3].flatMap((i) => [[446 + i * 16 + 4, 1], [446 + i * 16 + 8, 4], [446 + i * 16 + 12, 4]] as const)
  // Header fields (offset, size) in LBA 1, and the first two entries' LBAs.
  const GPT_FIELDS = [[SECTOR + 12, 4], [SECTOR + 16, 4], [SECTOR + 40, 8], [SECTOR + 48, 8], [SECTOR + 72, 8], [SECTOR + 80, 4], [SECTOR + 84, 4], [SECTOR + 88, 4], [2 * SECTOR + 32, 8], [2 * SECTOR + 40, 8], [2 * SECTOR + 128 + 32, 8], [2 * SECTOR + 128 + 40, 8]] as const
  const value = fc.oneof(fc.constantFrom(0n, 1n, 33n, 34n, 127n, 128n, 2048n, 0xffffffffn, 1n << 40n, (1n << 64n) - 1n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }))
  const change = fc.record({ field: fc.nat(), value, reseal: fc.boolean(), byteAt: fc.nat(), byte: fc.nat({ max: 255 }), kind: fc.constantFrom('field', 'byte') })

  function write(buffer: Buffer, [at, size]: readonly [number, number], v: bigint): void {
    if (size === 1) buffer[at] = Number(v & 0xffn)
    else if (size === 4) buffer.writeUInt32LE(Number(v & 0xffffffffn), at)
    else buffer.writeBigUInt64LE(v & ((1n << 64n) - 1n), at)
  }

  it('fuzz: mutated MBR and GPT tables read sanely or fail as INVALID_IMAGE', async () => {
    const count = { cases: 0, refused: 0 }
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(change, { minLength: 1, maxLength: 4 }), fc.boolean(), async (isGpt, changes, dropBackup) => {
        const image = isGpt ? gpt() : mbr()
        if (dropBackup) image.tail = Buffer.alloc(0)
        for (const c of changes) {
          if (c.kind === 'byte') image.head[c.byteAt % image.head.length] = c.byte
          else if (isGpt) {
            write(image.head, GPT_FIELDS[c.field % GPT_FIELDS.length]!, c.value)
            if (c.reseal) resealPrimary(image)
          } else write(image.head, MBR_FIELDS[c.field % MBR_FIELDS.length]!, c.value)
        }
        count.cases++
        if ((await readOrRefuse(image)) instanceof BuildError) count.refused++
      }),
      fuzzRuns(3000, 4),
    )
    fuzzSummary('partition tables', count)
  }, 30_000)
})
