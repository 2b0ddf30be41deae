/**
 * The byte ranges of a FAT partition's free clusters: what a flash need not write (the
 * filesystem says nothing lives there). ext4's free blocks are found by libext2fs's trim.
 */
import type { ReadAt } from '../partitions'
import { parseBpb } from './bpb'
import { FatTable } from './table'

export interface ByteRange {
  offset: number
  length: number
}

export async function freeClusterRanges(read: ReadAt, partition: { offset: number; size: number }): Promise<ByteRange[]> {
  const g = parseBpb(await read(partition.offset, 512), partition.size)
  const fatAt = partition.offset + (g.reservedSectors + g.activeFat * g.fatSectors) * g.bytesPerSector
  const table = new FatTable(await read(fatAt, g.fatSectors * g.bytesPerSector), g, 2)
  const dataAt = partition.offset + g.firstDataSector * g.bytesPerSector
  const ranges: ByteRange[] = []
  for (let cluster = 2; cluster <= table.maxCluster; cluster++) {
    if (table.get(cluster) !== 0) continue
    const offset = dataAt + (cluster - 2) * g.clusterSize
    const last = ranges.at(-1)
    if (last && last.offset + last.length === offset) last.length += g.clusterSize
    else ranges.push({ offset, length: g.clusterSize })
  }
  return ranges
}
