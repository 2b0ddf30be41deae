/**
 * The first FAT, held in memory. Tracks the free count, a next-free cursor (FSInfo's hint)
 * and which sectors changed, so closing writes back only those sectors to every copy.
 */
import type { Geometry } from './bpb'
import { corrupt } from './errors'

const EOC: Record<Geometry['bits'], number> = { 12: 0xfff, 16: 0xffff, 32: 0x0fffffff }
/** Values from here up end a chain (spec §4: 0xFF8 / 0xFFF8 / 0x0FFFFFF8). */
const EOC_MIN: Record<Geometry['bits'], number> = { 12: 0xff8, 16: 0xfff8, 32: 0x0ffffff8 }
/** The bad-cluster mark (spec §4), never part of a chain. */
const BAD: Record<Geometry['bits'], number> = { 12: 0xff7, 16: 0xfff7, 32: 0x0ffffff7 }

export class FatTable {
  readonly maxCluster: number
  freeCount = 0
  /** Where the next allocation starts looking; kept after the last cluster handed out. */
  cursor: number
  allocated = false
  private readonly dirty = new Set<number>()

  constructor(
    private readonly buf: Buffer,
    private readonly g: Geometry,
    hint: number,
  ) {
    this.maxCluster = g.clusterCount + 1
    this.cursor = hint >= 2 && hint <= this.maxCluster ? hint : 2
    for (let n = 2; n <= this.maxCluster; n++) if (this.get(n) === 0) this.freeCount++
  }

  get(n: number): number {
    const { bits } = this.g
    if (bits === 32) return this.buf.readUInt32LE(n * 4) & 0x0fffffff
    if (bits === 16) return this.buf.readUInt16LE(n * 2)
    const word = this.buf.readUInt16LE(n + (n >> 1))
    return n & 1 ? word >> 4 : word & 0xfff
  }

  isEnd(value: number): boolean {
    return value >= EOC_MIN[this.g.bits]
  }

  /** Every cluster of the chain starting at `start`; a broken chain throws rather than being guessed at. */
  chain(start: number): number[] {
    const clusters: number[] = []
    const seen = new Set<number>()
    for (let n = start; ; ) {
      if (n < 2 || n > this.maxCluster) throw corrupt(`cluster chain ${start} ${this.why(n, clusters.at(-1))}`)
      if (seen.has(n)) throw corrupt(`cluster chain ${start} loops back to cluster ${n}`)
      seen.add(n)
      clusters.push(n)
      const next = this.get(n)
      if (this.isEnd(next)) return clusters
      n = next
    }
  }

  /** Why `n` cannot be the next cluster (after `from`, or as the first). */
  private why(n: number, from: number | undefined): string {
    const at = from === undefined ? 'starts at' : `goes from cluster ${from} to`
    if (n === 0) return `${at} a free cluster`
    if (n === BAD[this.g.bits]) return `${at} a cluster marked bad`
    return `${at} cluster ${n}, outside 2..${this.maxCluster}`
  }

  /** Links `count` free clusters into a chain (after `after`, if given). Caller has checked freeCount. */
  allocate(count: number, after?: number): number[] {
    if (count > this.freeCount) throw new Error(`FAT allocation of ${count} clusters with ${this.freeCount} free`)
    const found: number[] = []
    for (let n = this.cursor, seen = 0; found.length < count && seen < this.g.clusterCount; seen++) {
      if (this.get(n) === 0) found.push(n)
      n = n >= this.maxCluster ? 2 : n + 1
    }
    found.forEach((n, i) => this.set(n, found[i + 1] ?? EOC[this.g.bits]))
    const first = found[0]
    if (after !== undefined && first !== undefined) this.set(after, first)
    const last = found.at(-1)
    if (last !== undefined) this.cursor = last >= this.maxCluster ? 2 : last + 1
    this.freeCount -= found.length
    this.allocated ||= found.length > 0
    return found
  }

  release(clusters: number[]): void {
    for (const n of clusters) this.set(n, 0)
    this.freeCount += clusters.length
  }

  /** Runs of consecutive changed sectors, each with its bytes: one write per run and FAT copy. */
  dirtyRuns(): Array<{ sector: number; data: Buffer }> {
    const sectors = [...this.dirty].sort((a, b) => a - b)
    const runs: Array<{ sector: number; data: Buffer }> = []
    const size = this.g.bytesPerSector
    for (let i = 0; i < sectors.length; ) {
      let j = i
      while (j + 1 < sectors.length && sectors[j + 1] === sectors[j]! + 1) j++
      const first = sectors[i]!
      runs.push({ sector: first, data: this.buf.subarray(first * size, (sectors[j]! + 1) * size) })
      i = j + 1
    }
    return runs
  }

  clean(): void {
    this.dirty.clear()
  }

  /** The first free cluster from the cursor on, for FSInfo's FSI_Nxt_Free; 0xFFFFFFFF when none. */
  nextFree(): number {
    for (let n = this.cursor, seen = 0; seen < this.g.clusterCount; seen++) {
      if (this.get(n) === 0) return n
      n = n >= this.maxCluster ? 2 : n + 1
    }
    return 0xffffffff
  }

  private set(n: number, value: number): void {
    const { bits, bytesPerSector } = this.g
    let at: number
    if (bits === 32) {
      at = n * 4
      // The top 4 bits are reserved and must be preserved (spec §4).
      this.buf.writeUInt32LE(((this.buf.readUInt32LE(at) & 0xf0000000) | value) >>> 0, at)
    } else if (bits === 16) {
      at = n * 2
      this.buf.writeUInt16LE(value, at)
    } else {
      at = n + (n >> 1)
      const word = this.buf.readUInt16LE(at)
      this.buf.writeUInt16LE(n & 1 ? (word & 0x000f) | (value << 4) : (word & 0xf000) | value, at)
    }
    // A FAT12 entry may straddle two sectors.
    this.dirty.add(Math.floor(at / bytesPerSector))
    this.dirty.add(Math.floor((at + (bits === 32 ? 3 : 1)) / bytesPerSector))
  }
}
