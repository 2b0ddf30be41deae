/** The boot sector's BIOS Parameter Block (FAT spec §3) and the layout it implies. */
import { notFat } from './errors'

export interface Geometry {
  bytesPerSector: number
  sectorsPerCluster: number
  clusterSize: number
  reservedSectors: number
  fatCount: number
  fatSectors: number
  /** The FAT to read: 0 unless FAT32 mirroring is off (BPB_ExtFlags bit 7), then bits 0-3 name it. */
  activeFat: number
  /** FAT12/16 fixed root directory, in sectors from the start of the partition; 0 on FAT32. */
  rootDirSector: number
  rootDirSectors: number
  firstDataSector: number
  /** Data clusters, numbered 2 .. clusterCount + 1. */
  clusterCount: number
  bits: 12 | 16 | 32
  /** FAT32 BPB_RootClus; 0 on FAT12/16 (the fixed root region). */
  rootCluster: number
  /** FAT32 BPB_FSInfo; 0 when absent. */
  fsInfoSector: number
}

const SECTOR_SIZES = new Set([512, 1024, 2048, 4096])
const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0

export function parseBpb(boot: Buffer, partitionSize: number): Geometry {
  if (boot.length < 512 || boot.readUInt16LE(510) !== 0xaa55) throw notFat()
  const jump = boot[0]
  const media = boot[21] ?? 0
  const bytesPerSector = boot.readUInt16LE(11) // BPB_BytsPerSec
  const sectorsPerCluster = boot[13] ?? 0 // BPB_SecPerClus
  const reservedSectors = boot.readUInt16LE(14) // BPB_RsvdSecCnt
  const fatCount = boot[16] ?? 0 // BPB_NumFATs
  const rootEntries = boot.readUInt16LE(17) // BPB_RootEntCnt
  const totalSectors = boot.readUInt16LE(19) || boot.readUInt32LE(32) // BPB_TotSec16 / BPB_TotSec32
  const fat16Sectors = boot.readUInt16LE(22) // BPB_FATSz16; 0 means FAT32
  const fat32 = fat16Sectors === 0
  const fatSectors = fat32 ? boot.readUInt32LE(36) : fat16Sectors // BPB_FATSz32

  const sane =
    (jump === 0xeb || jump === 0xe9) &&
    (media === 0xf0 || media >= 0xf8) &&
    SECTOR_SIZES.has(bytesPerSector) &&
    isPowerOfTwo(sectorsPerCluster) &&
    sectorsPerCluster <= 128 &&
    reservedSectors >= 1 &&
    fatCount >= 1 &&
    fatSectors >= 1 &&
    totalSectors >= 1 &&
    totalSectors * bytesPerSector <= partitionSize &&
    (!fat32 || rootEntries === 0) &&
    (fat32 || rootEntries > 0)
  if (!sane) throw notFat()

  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector)
  const rootDirSector = reservedSectors + fatCount * fatSectors
  const firstDataSector = rootDirSector + rootDirSectors
  if (firstDataSector >= totalSectors) throw notFat()
  const dataClusters = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster)
  // FAT type follows the cluster count (spec §3.5); a FAT32 BPB is recognised by BPB_FATSz16 = 0, as Linux does.
  const bits = fat32 ? 32 : dataClusters < 4085 ? 12 : 16
  if (!fat32 && dataClusters >= 65525) throw notFat()
  // Never address entries beyond the end of the FAT itself.
  const fatEntries = Math.floor((fatSectors * bytesPerSector * 8) / bits)
  const clusterCount = Math.min(dataClusters, fatEntries - 2)
  if (clusterCount < 1) throw notFat()

  const rootCluster = fat32 ? boot.readUInt32LE(44) : 0
  if (fat32 && (rootCluster < 2 || rootCluster > clusterCount + 1)) throw notFat()
  const fsInfo = fat32 ? boot.readUInt16LE(48) : 0
  const extFlags = fat32 ? boot.readUInt16LE(40) : 0
  const activeFat = extFlags & 0x80 && (extFlags & 0x0f) < fatCount ? extFlags & 0x0f : 0
  return {
    bytesPerSector,
    sectorsPerCluster,
    clusterSize: bytesPerSector * sectorsPerCluster,
    reservedSectors,
    fatCount,
    fatSectors,
    activeFat,
    rootDirSector: fat32 ? 0 : rootDirSector,
    rootDirSectors,
    firstDataSector,
    clusterCount,
    bits,
    rootCluster,
    fsInfoSector: fsInfo >= 1 && fsInfo < reservedSectors ? fsInfo : 0,
  }
}
