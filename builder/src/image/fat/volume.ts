/**
 * An open FAT volume: geometry, the in-memory FAT, cluster I/O coalesced into contiguous runs,
 * and a cache of loaded directories. File data goes to disk at once; the FAT, directory
 * sectors and FSInfo go on close(), so an interrupted session leaves the old metadata intact.
 */
import type { Disk } from 'file-disk'
import { type Geometry, parseBpb } from './bpb'
import { Device } from './device'
import { Directory } from './directory'
import { ENTRY, type FatStamp, dotEntry } from './entry'
import { corrupt, notFat } from './errors'
import { FatTable } from './table'

const FSINFO_LEAD = 0x41615252 // FSI_LeadSig
const FSINFO_STRUCT = 0x61417272 // FSI_StrucSig
const FSINFO_TRAIL = 0xaa550000 // FSI_TrailSig
/** A directory holds at most 65536 entries (spec §6). */
const MAX_DIR_SLOTS = 65536

interface Span {
  position: number
  data: Buffer
}

export class Volume {
  private readonly dirs = new Map<number, Directory>()

  private constructor(
    readonly g: Geometry,
    private readonly dev: Device,
    readonly fat: FatTable,
  ) {}

  static async open(disk: Disk, partition: { offset: number; size: number }): Promise<Volume> {
    const dev = new Device(disk, partition.offset)
    if (partition.size < 512) throw notFat()
    const g = parseBpb(await dev.read(0, 512), partition.size)
    const fat = await dev.read(fatPosition(g, g.activeFat), g.fatSectors * g.bytesPerSector)
    const fsInfo = g.fsInfoSector ? await readFsInfo(dev, g) : null
    return new Volume(g, dev, new FatTable(fat, g, fsInfo?.readUInt32LE(492) ?? 2))
  }

  get rootCluster(): number {
    return this.g.rootCluster
  }

  get freeBytes(): number {
    return this.fat.freeCount * this.g.clusterSize
  }

  clustersFor(bytes: number): number {
    return Math.ceil(bytes / this.g.clusterSize)
  }

  /** The directory whose first cluster is `cluster`; 0 means the root on every FAT type. */
  async dir(cluster: number): Promise<Directory> {
    const key = cluster === 0 ? this.g.rootCluster : cluster
    const cached = this.dirs.get(key)
    if (cached) return cached
    const dir = key === 0 ? await this.loadFixedRoot() : await this.loadChainDir(key)
    this.dirs.set(key, dir)
    return dir
  }

  isRoot(dir: Directory): boolean {
    return dir.cluster === this.g.rootCluster
  }

  /** Clusters a directory must grow by to hold `slots` more entries; Infinity when it cannot. */
  growthFor(dir: Directory, slots: number): number {
    if (dir.freeRun(slots) !== -1) return 0
    if (dir.cluster === 0) return Infinity // FAT12/16 root: fixed size (BPB_RootEntCnt)
    const clusters = Math.ceil(((slots - dir.trailingFree()) * ENTRY) / this.g.clusterSize)
    return dir.slots + (clusters * this.g.clusterSize) / ENTRY > MAX_DIR_SLOTS ? Infinity : clusters
  }

  /** Grows `dir` by `clusters` zeroed clusters (written on close). */
  grow(dir: Directory, clusters: number): void {
    for (const cluster of this.fat.allocate(clusters, dir.clusters.at(-1))) dir.grow(cluster, this.g.clusterSize)
  }

  /** A new directory's cluster with '.' and '..' ('..' is 0 when the parent is the root, spec §6.7). */
  createDir(parent: Directory, when: FatStamp): Directory {
    const [cluster] = this.fat.allocate(1) as [number]
    const buf = Buffer.alloc(this.g.clusterSize)
    dotEntry('.', cluster, when).copy(buf, 0)
    dotEntry('..', this.isRoot(parent) ? 0 : parent.cluster, when).copy(buf, ENTRY)
    const dir = new Directory(cluster, [cluster], buf, this.g.bytesPerSector)
    dir.markDirty(0, buf.length)
    this.dirs.set(cluster, dir)
    return dir
  }

  /** Frees a removed directory's clusters and forgets it, so none of its pending sectors are written. */
  dropDir(dir: Directory): void {
    this.dirs.delete(dir.cluster)
    this.fat.release(dir.clusters)
  }

  /** The first `size` bytes of the chain at `start`. */
  async readChain(start: number, size: number): Promise<Buffer> {
    const count = this.clustersFor(size)
    if (count === 0) return Buffer.alloc(0)
    const chain = this.fat.chain(start)
    if (chain.length < count) throw corrupt(`chain ${start} holds ${chain.length} clusters, ${count} needed`)
    const out = Buffer.alloc(count * this.g.clusterSize)
    let at = 0
    for (const run of runs(chain.slice(0, count))) {
      const bytes = run.count * this.g.clusterSize
      await this.dev.readInto(out.subarray(at, at + bytes), this.clusterPosition(run.first))
      at += bytes
    }
    return out.subarray(0, size)
  }

  /** Allocates a chain for `data` and writes it; returns its first cluster (0 for no data). Caller checked the space. */
  async writeChain(data: Buffer): Promise<number> {
    const chain = this.fat.allocate(this.clustersFor(data.length))
    try {
      let at = 0
      for (const run of runs(chain)) {
        const bytes = run.count * this.g.clusterSize
        let chunk = data.subarray(at, at + bytes)
        if (chunk.length < bytes) chunk = Buffer.concat([chunk, Buffer.alloc(bytes - chunk.length)])
        await this.dev.write(this.clusterPosition(run.first), chunk)
        at += bytes
      }
    } catch (error) {
      this.fat.release(chain)
      throw error
    }
    return chain[0] ?? 0
  }

  releaseChain(start: number): void {
    if (start >= 2) this.fat.release(this.fat.chain(start))
  }

  /** Writes back the changed FAT sectors to every copy, then directory sectors, then FSInfo. */
  async close(): Promise<void> {
    const { g } = this
    const fatRuns = this.fat.dirtyRuns()
    for (let copy = 0; copy < g.fatCount; copy++) {
      for (const run of fatRuns) await this.dev.write(fatPosition(g, copy) + run.sector * g.bytesPerSector, run.data)
    }
    this.fat.clean()
    for (const dir of this.dirs.values()) {
      for (const span of coalesce(this.dirSpans(dir))) await this.dev.write(span.position, span.data)
      dir.dirty.clear()
    }
    if (g.fsInfoSector && this.dev.written) await this.updateFsInfo()
  }

  /** FSI_Free_Count (488) and FSI_Nxt_Free (492), only when all three signatures are right. */
  private async updateFsInfo(): Promise<void> {
    const sector = await readFsInfo(this.dev, this.g)
    if (!sector) return
    const free = this.fat.freeCount
    const hint = this.fat.allocated ? this.fat.nextFree() : sector.readUInt32LE(492)
    if (sector.readUInt32LE(488) === free && sector.readUInt32LE(492) === hint) return
    sector.writeUInt32LE(free, 488)
    sector.writeUInt32LE(hint, 492)
    await this.dev.write(this.g.fsInfoSector * this.g.bytesPerSector, sector)
  }

  private clusterPosition(cluster: number): number {
    return (this.g.firstDataSector + (cluster - 2) * this.g.sectorsPerCluster) * this.g.bytesPerSector
  }

  private dirSpans(dir: Directory): Span[] {
    const { bytesPerSector: size, sectorsPerCluster: perCluster } = this.g
    return [...dir.dirty]
      .sort((a, b) => a - b)
      .map((s) => {
        const data = dir.buf.subarray(s * size, (s + 1) * size)
        if (dir.cluster === 0) return { position: (this.g.rootDirSector + s) * size, data }
        const cluster = dir.clusters[Math.floor(s / perCluster)]!
        return { position: this.clusterPosition(cluster) + (s % perCluster) * size, data }
      })
  }

  private async loadFixedRoot(): Promise<Directory> {
    const { rootDirSector, rootDirSectors, bytesPerSector } = this.g
    const buf = await this.dev.read(rootDirSector * bytesPerSector, rootDirSectors * bytesPerSector)
    return new Directory(0, [], buf, bytesPerSector)
  }

  private async loadChainDir(cluster: number): Promise<Directory> {
    const chain = this.fat.chain(cluster)
    // Only damage makes a longer one; reading it would load a whole corrupt chain into memory.
    if (chain.length * this.g.clusterSize > MAX_DIR_SLOTS * ENTRY) {
      throw corrupt(`directory at cluster ${cluster} spans ${chain.length} clusters, more than a directory may hold`)
    }
    const buf = await this.readChain(cluster, chain.length * this.g.clusterSize)
    return new Directory(cluster, chain, Buffer.from(buf), this.g.bytesPerSector)
  }
}

async function readFsInfo(dev: Device, g: Geometry): Promise<Buffer | null> {
  const sector = await dev.read(g.fsInfoSector * g.bytesPerSector, g.bytesPerSector)
  const valid =
    sector.readUInt32LE(0) === FSINFO_LEAD &&
    sector.readUInt32LE(484) === FSINFO_STRUCT &&
    sector.readUInt32LE(508) === FSINFO_TRAIL
  return valid ? sector : null
}

/** Where FAT copy `copy` starts: after the reserved sectors, each copy BPB_FATSz sectors long. */
const fatPosition = (g: Geometry, copy: number) => (g.reservedSectors + copy * g.fatSectors) * g.bytesPerSector

/** Consecutive cluster numbers lie next to each other on disk: one I/O per run. */
export function runs(chain: number[]): Array<{ first: number; count: number }> {
  const out: Array<{ first: number; count: number }> = []
  for (const cluster of chain) {
    const last = out.at(-1)
    if (last && last.first + last.count === cluster) last.count++
    else out.push({ first: cluster, count: 1 })
  }
  return out
}

/** Merges spans that follow each other on disk and in memory into single writes. */
function coalesce(spans: Span[]): Span[] {
  const out: Span[] = []
  for (const span of spans) {
    const last = out.at(-1)
    const adjacent =
      last &&
      last.position + last.data.length === span.position &&
      last.data.buffer === span.data.buffer &&
      last.data.byteOffset + last.data.length === span.data.byteOffset
    if (!adjacent) out.push(span)
    else last.data = Buffer.from(last.data.buffer, last.data.byteOffset, last.data.length + span.data.length)
  }
  return out
}
