/**
 * Opens a disk image as partitions and filesystems. `copyOnWrite` keeps every write in
 * memory over a read-only file: builds never touch the cached source, and the result is
 * streamed out in one pass (see output/write-image.ts).
 */
import type { Disk } from 'file-disk'
import { BuildError } from '../util/errors'
import { openDisk, type DiskMode } from './block-disk'
import { detectFilesystem } from './filesystems'
import { readPartitionTable, type Partition, type PartitionTable, type ReadAt } from './partitions'

export interface LabelledPartition extends Partition {
  label: string
}

export interface DiskImage {
  file: string
  disk: Disk
  capacity: number
  table: PartitionTable
  /** The first FAT partition: the Raspberry Pi boot partition. */
  boot: LabelledPartition
  /** The first ext2/3/4 partition: the root filesystem. */
  root: LabelledPartition
}

export type OpenMode = DiskMode

/** An image file or a block device (a card), as partitions and filesystems. */
export async function withImage<T>(file: string, mode: OpenMode, fn: (image: DiskImage) => Promise<T>): Promise<T> {
  const opened = await openDisk(file, mode)
  try {
    return await fn(await describeImage(file, opened.disk))
  } finally {
    await opened.close()
  }
}

export function readerOf(disk: Disk): ReadAt {
  return async (position, length) => {
    const buffer = Buffer.alloc(length)
    const { bytesRead } = await disk.read(buffer, 0, length, position)
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead)
  }
}

export async function describeImage(file: string, disk: Disk): Promise<DiskImage> {
  const capacity = await disk.getCapacity()
  const read = readerOf(disk)
  const table = await readPartitionTable(read, capacity)
  const found = await Promise.all(
    table.partitions.map(async (partition) => ({ ...partition, ...(await detectFilesystem(read, partition.offset)) })),
  )
  const boot = found.find((p) => p.kind === 'fat')
  const root = found.find((p) => p.kind === 'ext')
  const summary = found.map((p) => `#${p.index} ${p.kind}`).join(', ') || 'none'
  if (!boot) throw new BuildError('INVALID_IMAGE', `No FAT boot partition in ${file} (partitions: ${summary})`)
  if (!root) throw new BuildError('INVALID_IMAGE', `No ext4 root partition in ${file} (partitions: ${summary})`)
  const strip = ({ kind: _kind, ...partition }: (typeof found)[number]): LabelledPartition => partition
  return { file, disk, capacity, table, boot: strip(boot), root: strip(root) }
}
