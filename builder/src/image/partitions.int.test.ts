/** Partition tables written by sfdisk (not ours), read back by ours. */
import { execFileSync } from 'node:child_process'
import { mkdtemp, open, rm, truncate } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readPartitionTable, type ReadAt } from './partitions'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-parts-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function tableOf(file: string) {
  const handle = await open(file, 'r')
  try {
    const read: ReadAt = async (position, length) => (await handle.read(Buffer.alloc(length), 0, length, position)).buffer
    return await readPartitionTable(read, (await handle.stat()).size)
  } finally {
    await handle.close()
  }
}

async function disk(name: string, script: string, size = 64 << 20): Promise<string> {
  const file = path.join(dir, name)
  await truncate(file, 0).catch(() => {})
  execFileSync('truncate', ['-s', String(size), file])
  execFileSync('sfdisk', ['--quiet', file], { input: script })
  return file
}

const sfdiskJson = (file: string) =>
  (JSON.parse(execFileSync('sfdisk', ['--json', file], { encoding: 'utf8' })) as { partitiontable: { id: string; partitions: { start: number; size: number; type: string; uuid?: string }[] } })
    .partitiontable

describe('readPartitionTable', () => {
  it('reads an MBR like Raspberry Pi OS: disk id, FAT32 boot, Linux root', async () => {
    const file = await disk('mbr.img', 'label: dos\nlabel-id: 0x5e3da3da\nstart=8192, size=65536, type=c\nstart=73728, type=83\n')
    const table = await tableOf(file)
    const expected = sfdiskJson(file)
    expect(table.scheme).toBe('mbr')
    expect(`0x${table.diskId}`).toBe(expected.id)
    expect(table.partitions.map(({ offset, size, type }) => ({ offset, size, type }))).toEqual(
      expected.partitions.map((p) => ({ offset: p.start * 512, size: p.size * 512, type: p.type.padStart(2, '0') })),
    )
    expect(table.partitions.map((p) => p.partuuid)).toEqual(['5e3da3da-01', '5e3da3da-02'])
  })

  it('reads a GPT: partition GUIDs are what PARTUUID= names', async () => {
    const file = await disk('gpt.img', 'label: gpt\nstart=2048, size=65536, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\nstart=67584, size=40000, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n')
    const table = await tableOf(file)
    const expected = sfdiskJson(file)
    expect(table.scheme).toBe('gpt')
    expect(table.diskId.toUpperCase()).toBe(expected.id)
    expect(table.partitions.map((p) => p.partuuid.toUpperCase())).toEqual(expected.partitions.map((p) => p.uuid))
    expect(table.partitions.map((p) => p.type.toUpperCase())).toEqual(expected.partitions.map((p) => p.type))
    expect(table.partitions.map((p) => p.offset)).toEqual([2048 * 512, 67584 * 512])
  })

  it('refuses a file with no partition table', async () => {
    const file = path.join(dir, 'blank.img')
    execFileSync('truncate', ['-s', '1M', file])
    await expect(tableOf(file)).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: 'Not a disk image: no partition table (the boot signature 55 AA is missing)' })
  })

  it('says when the image is shorter than its partitions (a truncated download)', async () => {
    const file = await disk('short.img', 'label: dos\nstart=2048, type=83\n')
    execFileSync('truncate', ['-s', '16M', file])
    await expect(tableOf(file)).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(/ends at byte \d+ but the image has only 16777216 bytes \(truncated image\?\)/) })
  })
})
