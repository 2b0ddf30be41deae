/**
 * FAT12/16/32 read-write access without mounting (any OS, no root), on a file-disk Disk:
 * an image file or an SD card's block device. Long names, all FAT copies and the FSInfo
 * free count are kept the way fsck.fat expects. The work lives in ./fat/.
 */
import type { Disk } from 'file-disk'
import { FatFileSystem } from './fat/filesystem'
import { Volume } from './fat/volume'

export interface FatStat {
  isDirectory(): boolean
  isFile(): boolean
  size: number
  mtime: Date
}

export interface FatEntry {
  name: string
  isDirectory: boolean
  size: number
  mtime: Date
}

export interface FatTreeEntry extends FatEntry {
  /** `path` given to tree() joined with the names on the way: '/a' → '/a/b/c.txt'. */
  path: string
}

/** Paths are absolute and '/'-separated; names match case-insensitively and keep their case when created. */
export interface FatFs {
  readFile(path: string): Promise<Buffer>
  /** Creates or replaces; the parent directory must exist (ENOENT otherwise). */
  writeFile(path: string, data: Buffer | string): Promise<void>
  /** Long names, without '.', '..', the volume label or deleted entries. */
  readdir(path: string): Promise<string[]>
  list(path: string): Promise<FatEntry[]>
  /**
   * Everything under `path`, depth first in directory order. Each directory is entered once:
   * one reached again (a cycle or a cross-link, only on a damaged or hostile card) is EIO.
   */
  tree(path: string): Promise<FatTreeEntry[]>
  /** Files only (EISDIR for a directory). */
  unlink(path: string): Promise<void>
  /** Empty directories only (ENOTEMPTY). */
  rmdir(path: string): Promise<void>
  /** File or directory, within or across directories; EEXIST if `to` exists. */
  rename(from: string, to: string): Promise<void>
  stat(path: string): Promise<FatStat>
  exists(path: string): Promise<boolean>
  /** EEXIST if present. */
  mkdir(path: string): Promise<void>
  /** Makes every missing directory on the way, like mkdir -p. */
  mkdirp(path: string): Promise<void>
  /** Bytes free, from the FAT itself. */
  freeBytes(): Promise<number>
}

/**
 * Opens the FAT filesystem in `partition`, runs `fn`, and always (also when `fn` throws)
 * writes back the changed FAT sectors to every FAT copy, the directories and FSInfo.
 * With `now`, every entry it writes carries that time (as UTC) instead of the clock's.
 */
export async function withFat<T>(
  disk: Disk,
  partition: { offset: number; size: number },
  fn: (fs: FatFs) => Promise<T>,
  now?: Date,
): Promise<T> {
  const volume = await Volume.open(disk, partition)
  try {
    return await fn(new FatFileSystem(volume, now))
  } finally {
    await volume.close()
  }
}
