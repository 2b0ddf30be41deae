/**
 * For tests: damage a FAT filesystem on purpose (directory cycles, looping or out-of-range
 * chains, impossible sizes). Places are found from the boot sector and by scanning for 8.3
 * names, not with our FAT reader, so a bug there cannot hide the damage it should catch.
 */

export interface FatLayout {
  /** Where the filesystem starts in the buffer (a partition inside a disk image). */
  base: number
  bytesPerSector: number
  clusterSize: number
  fatOffset: number
  fatBytes: number
  fatCount: number
  /** FAT12/16 fixed root directory; the FAT32 root is a cluster chain (rootCluster). */
  rootDirOffset: number
  rootDirBytes: number
  rootCluster: number
  dataOffset: number
  clusterCount: number
  bits: 12 | 16 | 32
}

export function fatLayout(image: Buffer, base = 0): FatLayout {
  const boot = image.subarray(base, base + 512)
  const bytesPerSector = boot.readUInt16LE(11)
  const sectorsPerCluster = boot[13]!
  const reserved = boot.readUInt16LE(14)
  const fatCount = boot[16]!
  const rootEntries = boot.readUInt16LE(17)
  const totalSectors = boot.readUInt16LE(19) || boot.readUInt32LE(32)
  const fatSectors = boot.readUInt16LE(22) || boot.readUInt32LE(36)
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector)
  const firstData = reserved + fatCount * fatSectors + rootDirSectors
  const clusterCount = Math.floor((totalSectors - firstData) / sectorsPerCluster)
  const bits = boot.readUInt16LE(22) === 0 ? 32 : clusterCount < 4085 ? 12 : 16
  return {
    base,
    bytesPerSector,
    clusterSize: bytesPerSector * sectorsPerCluster,
    fatOffset: base + reserved * bytesPerSector,
    fatBytes: fatSectors * bytesPerSector,
    fatCount,
    rootDirOffset: base + (reserved + fatCount * fatSectors) * bytesPerSector,
    rootDirBytes: rootDirSectors * bytesPerSector,
    rootCluster: bits === 32 ? boot.readUInt32LE(44) : 0,
    dataOffset: base + firstData * bytesPerSector,
    clusterCount,
    bits,
  }
}

export const clusterOffset = (g: FatLayout, cluster: number): number => g.dataOffset + (cluster - 2) * g.clusterSize

/** The 11 bytes of an 8.3 name as stored: 'LOOP' → 'LOOP       ', 'A.SH' → 'A       SH '. */
export function rawShortName(name: string): string {
  const [stem = '', ext = ''] = name.toUpperCase().split('.')
  return stem.padEnd(8, ' ') + ext.padEnd(3, ' ')
}

/** Offsets of every 8.3 entry (not LFN, not deleted) named `name` in the root region and the data area. */
export function findEntries(image: Buffer, g: FatLayout, name: string): number[] {
  const raw = Buffer.from(rawShortName(name), 'latin1')
  const found: number[] = []
  const scan = (from: number, to: number) => {
    for (let at = from; at + 32 <= to; at += 32) {
      if (image[at + 11] !== 0x0f && image.subarray(at, at + 11).equals(raw)) found.push(at)
    }
  }
  scan(g.rootDirOffset, g.rootDirOffset + g.rootDirBytes)
  scan(g.dataOffset, g.dataOffset + g.clusterCount * g.clusterSize)
  return found
}

/** The one entry named `name`; throws when there are none or several. */
export function entryOf(image: Buffer, g: FatLayout, name: string): number {
  const found = findEntries(image, g, name)
  if (found.length !== 1) throw new Error(`${found.length} entries named ${name}`)
  return found[0]!
}

export const entryCluster = (image: Buffer, at: number): number => (image.readUInt16LE(at + 20) << 16) | image.readUInt16LE(at + 26)

export function setEntryCluster(image: Buffer, at: number, cluster: number): void {
  image.writeUInt16LE(cluster >>> 16, at + 20)
  image.writeUInt16LE(cluster & 0xffff, at + 26)
}

export const setEntrySize = (image: Buffer, at: number, size: number): void => void image.writeUInt32LE(size >>> 0, at + 28)

export function fatEntry(image: Buffer, g: FatLayout, cluster: number): number {
  const at = g.fatOffset
  if (g.bits === 32) return image.readUInt32LE(at + cluster * 4) & 0x0fffffff
  if (g.bits === 16) return image.readUInt16LE(at + cluster * 2)
  const word = image.readUInt16LE(at + cluster + (cluster >> 1))
  return cluster & 1 ? word >> 4 : word & 0xfff
}

/** Sets FAT entry `cluster` in every FAT copy (so no reader can pick a good copy instead). */
export function setFatEntry(image: Buffer, g: FatLayout, cluster: number, value: number): void {
  for (let copy = 0; copy < g.fatCount; copy++) {
    const at = g.fatOffset + copy * g.fatBytes
    if (g.bits === 32) image.writeUInt32LE((value & 0x0fffffff) >>> 0, at + cluster * 4)
    else if (g.bits === 16) image.writeUInt16LE(value & 0xffff, at + cluster * 2)
    else {
      const pos = at + cluster + (cluster >> 1)
      const word = image.readUInt16LE(pos)
      image.writeUInt16LE(cluster & 1 ? (word & 0x000f) | ((value & 0xfff) << 4) : (word & 0xf000) | (value & 0xfff), pos)
    }
  }
}

/** The clusters of the chain starting at `start`, read with the layout above (at most clusterCount). */
export function chainOf(image: Buffer, g: FatLayout, start: number): number[] {
  const end = g.bits === 32 ? 0x0ffffff8 : g.bits === 16 ? 0xfff8 : 0xff8
  const chain: number[] = []
  for (let n = start; n >= 2 && n < end && chain.length <= g.clusterCount; n = fatEntry(image, g, n)) chain.push(n)
  return chain
}

export interface RawEntry {
  /** Offset of the 32-byte 8.3 entry in the buffer. */
  at: number
  name: string
  cluster: number
  size: number
  isDirectory: boolean
  /** First clusters of the folders holding it, the root (0 on FAT12/16) first. */
  ancestors: number[]
}

/** Every 8.3 entry reachable from the root ('.' and '..' too, they are fair targets), each folder visited once. */
export function rawEntries(image: Buffer, g: FatLayout): RawEntry[] {
  const out: RawEntry[] = []
  const seen = new Set<number>()
  const visit = (offsets: number[], ancestors: number[]) => {
    for (const at of offsets) {
      const first = image[at]!
      if (first === 0) return
      const attr = image[at + 11]!
      if (first === 0xe5 || (attr & 0x3f) === 0x0f || attr & 0x08) continue
      const entry = {
        at,
        name: image.toString('latin1', at, at + 11),
        cluster: entryCluster(image, at),
        size: image.readUInt32LE(at + 28),
        isDirectory: (attr & 0x10) !== 0,
        ancestors,
      }
      out.push(entry)
      if (entry.isDirectory && first !== 0x2e && entry.cluster >= 2 && !seen.has(entry.cluster)) {
        seen.add(entry.cluster)
        visit(slotsOf(g, chainOf(image, g, entry.cluster)), [...ancestors, entry.cluster])
      }
    }
  }
  const root = g.bits === 32 ? slotsOf(g, chainOf(image, g, g.rootCluster)) : Array.from({ length: g.rootDirBytes / 32 }, (_, i) => g.rootDirOffset + i * 32)
  visit(root, [g.rootCluster])
  return out
}

const slotsOf = (g: FatLayout, chain: number[]) =>
  chain.flatMap((cluster) => Array.from({ length: g.clusterSize / 32 }, (_, i) => clusterOffset(g, cluster) + i * 32))
