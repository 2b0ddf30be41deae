/**
 * The one time a build writes (file times on both partitions, build info's builtAt), so
 * the same recipe and source give the same bytes whenever and wherever they are built
 * (docs/reproducible.md): SOURCE_DATE_EPOCH when set, else the source root filesystem's
 * last write time, a property of the source's SHA256. Clamped to what FAT and 32-bit ext
 * inode times can both hold.
 */
import type { Disk } from 'file-disk'
import { BuildError } from '../util/errors'

/** 1980-01-01T00:00:00Z, FAT's first day. */
export const EARLIEST = 315532800
/** 2038-01-19T03:14:07Z, the last second of a 128-byte ext inode's signed 32-bit time. */
export const LATEST = 0x7fffffff

export async function buildTime(disk: Disk, root: { offset: number }, env: NodeJS.ProcessEnv = process.env): Promise<{ time: Date; from: string }> {
  const given = env.SOURCE_DATE_EPOCH
  if (given !== undefined && given !== '') {
    if (!/^\d{1,12}$/.test(given)) throw new BuildError('INVALID_INPUT', `SOURCE_DATE_EPOCH must be whole seconds since 1970 (got ${JSON.stringify(given)})`)
    return { time: clamped(Number(given)), from: 'SOURCE_DATE_EPOCH' }
  }
  // ext superblock at 1024, s_wtime (u32 LE) at 0x30 in it.
  const buffer = Buffer.alloc(4)
  await disk.read(buffer, 0, 4, root.offset + 1024 + 0x30)
  return { time: clamped(buffer.readUInt32LE(0)), from: "the source root filesystem's last write time" }
}

const clamped = (seconds: number): Date => new Date(Math.min(Math.max(seconds, EARLIEST), LATEST) * 1000)
