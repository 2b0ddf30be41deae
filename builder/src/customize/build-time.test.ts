import { BufferDisk } from 'file-disk'
import { describe, expect, it } from 'vitest'
import { buildTime, LATEST } from './build-time'

/** A disk whose "root fs" at 4096 has `wtime` as its superblock's s_wtime. */
function diskWithWriteTime(wtime: number): BufferDisk {
  const buffer = Buffer.alloc(8192)
  buffer.writeUInt32LE(wtime, 4096 + 1024 + 0x30)
  return new BufferDisk(buffer, true, false)
}

describe('buildTime', () => {
  const root = { offset: 4096 }

  it("takes the source root fs's last write time when SOURCE_DATE_EPOCH is unset", async () => {
    expect((await buildTime(diskWithWriteTime(1_600_000_000), root, {})).time.toISOString()).toBe('2020-09-13T12:26:40.000Z')
  })

  it('prefers SOURCE_DATE_EPOCH', async () => {
    const { time, from } = await buildTime(diskWithWriteTime(1_600_000_000), root, { SOURCE_DATE_EPOCH: '1700000000' })
    expect([time.toISOString(), from]).toEqual(['2023-11-14T22:13:20.000Z', 'SOURCE_DATE_EPOCH'])
  })

  it('clamps into what FAT and ext inodes hold', async () => {
    expect((await buildTime(diskWithWriteTime(0), root, {})).time.toISOString()).toBe('1980-01-01T00:00:00.000Z')
    expect((await buildTime(diskWithWriteTime(0), root, { SOURCE_DATE_EPOCH: '99999999999' })).time.getTime()).toBe(LATEST * 1000)
  })

  it('refuses a SOURCE_DATE_EPOCH that is not whole seconds', async () => {
    await expect(buildTime(diskWithWriteTime(0), root, { SOURCE_DATE_EPOCH: '2023-11-14' })).rejects.toThrow(/SOURCE_DATE_EPOCH must be whole seconds/)
  })
})
