/**
 * One directory's entries in memory: parsing (LFN runs checked by ordinal and checksum),
 * lookup by long or short name (case-insensitive), placing and deleting entries. The bytes
 * go back to disk later, sector by changed sector (see Volume).
 */
import {
  ATTR_DIRECTORY,
  ATTR_VOLUME_ID,
  DELETED,
  ENTRY,
  LAST_LFN,
  decodeTimestamp,
  entryCluster,
  isLfn,
  lfnEntries,
  lfnPart,
} from './entry'
import { type ShortName, displayShortName, lfnChecksum, shortNameFor } from './names'

export interface DirEntry {
  /** The long name, or the short one as shown when there is none. */
  name: string
  /** The 11-byte 8.3 name as stored. */
  raw: string
  /** Index of the 8.3 entry. */
  slot: number
  /** Index of the entry's first slot: its first LFN entry, or the 8.3 entry itself. */
  first: number
  attr: number
  cluster: number
  size: number
  mtime: Date
  isDirectory: boolean
}

interface Parsed {
  entries: DirEntry[]
  byLong: Map<string, DirEntry>
  byShort: Map<string, DirEntry>
  shortNames: Set<string>
}

interface LfnRun {
  first: number
  checksum: number
  expect: number
  parts: string[]
}

const key = (name: string) => name.toUpperCase()

export class Directory {
  /** Changed sectors, as indexes into `buf`. */
  readonly dirty = new Set<number>()
  private parsed: Parsed | null = null

  constructor(
    /** First cluster; 0 for the FAT12/16 fixed root region. */
    readonly cluster: number,
    readonly clusters: number[],
    public buf: Buffer,
    private readonly sectorSize: number,
  ) {}

  get slots(): number {
    return this.buf.length / ENTRY
  }

  entries(): DirEntry[] {
    return this.parse().entries
  }

  find(name: string): DirEntry | undefined {
    const parsed = this.parse()
    return parsed.byLong.get(key(name)) ?? parsed.byShort.get(key(name))
  }

  /** A short name for `name` unique in this directory; `except`'s own may be reused (a rename, maybe case only). */
  shortNameFor(name: string, except?: DirEntry): ShortName {
    const taken = new Set(this.parse().shortNames)
    if (except) taken.delete(except.raw)
    return shortNameFor(name, taken)
  }

  /** First slot of `count` free consecutive slots, or -1. Deleted slots count, as does all after the end marker. */
  freeRun(count: number): number {
    let run = 0
    for (let i = 0; i < this.slots; i++) {
      const first = this.buf[i * ENTRY]
      if (first === 0) return run + this.slots - i >= count ? i - run : -1
      run = first === DELETED ? run + 1 : 0
      if (run === count) return i - count + 1
    }
    return -1
  }

  /** Free slots at the very end, which a grown cluster would extend. */
  trailingFree(): number {
    let run = 0
    for (let i = 0; i < this.slots; i++) {
      const first = this.buf[i * ENTRY]
      if (first === 0) return run + this.slots - i
      run = first === DELETED ? run + 1 : 0
    }
    return run
  }

  /** Appends zeroed space (a new cluster) to the directory. */
  grow(cluster: number, size: number): void {
    const from = this.buf.length
    this.buf = Buffer.concat([this.buf, Buffer.alloc(size)])
    this.clusters.push(cluster)
    this.markDirty(from, size)
    this.parsed = null
  }

  /** Writes the name's LFN entries and the 8.3 entry (from `template`) into a free run, which must exist. */
  place(name: string, short: ShortName, template: Buffer): void {
    const entry = Buffer.from(template)
    entry.write(short.raw, 0, 11, 'latin1')
    entry[12] = short.caseFlags // DIR_NTRes
    const entries = short.needsLfn ? [...lfnEntries(name, lfnChecksum(short.raw)), entry] : [entry]
    const start = this.freeRun(entries.length)
    if (start === -1) throw new Error(`no free slot run of ${entries.length} in directory ${this.cluster}`)
    const end = this.endMarker()
    entries.forEach((e, i) => e.copy(this.buf, (start + i) * ENTRY))
    this.markDirty(start * ENTRY, entries.length * ENTRY)
    // Writing past the old end marker: make sure the slot after us still ends the directory.
    const after = start + entries.length
    if (end < after && after < this.slots && this.buf[after * ENTRY] !== 0) {
      this.buf.fill(0, after * ENTRY, (after + 1) * ENTRY)
      this.markDirty(after * ENTRY, ENTRY)
    }
    this.parsed = null
  }

  /** Marks the entry and its LFN entries deleted (0xE5, spec §6.1). */
  remove(entry: DirEntry): void {
    for (let i = entry.first; i <= entry.slot; i++) this.buf[i * ENTRY] = DELETED
    this.markDirty(entry.first * ENTRY, (entry.slot - entry.first + 1) * ENTRY)
    this.parsed = null
  }

  /** Changes an entry's 8.3 fields in place. */
  update(entry: DirEntry, change: (bytes: Buffer) => void): void {
    change(this.slot(entry.slot))
    this.markDirty(entry.slot * ENTRY, ENTRY)
    this.parsed = null
  }

  /** The raw 32 bytes of an 8.3 entry (a live view). */
  slot(index: number): Buffer {
    return this.buf.subarray(index * ENTRY, (index + 1) * ENTRY)
  }

  markDirty(from: number, length: number): void {
    for (let s = Math.floor(from / this.sectorSize); s * this.sectorSize < from + length; s++) this.dirty.add(s)
  }

  private endMarker(): number {
    for (let i = 0; i < this.slots; i++) if (this.buf[i * ENTRY] === 0) return i
    return this.slots
  }

  private parse(): Parsed {
    if (this.parsed) return this.parsed
    const parsed: Parsed = { entries: [], byLong: new Map(), byShort: new Map(), shortNames: new Set() }
    let lfn: LfnRun | null = null
    for (let i = 0; i < this.slots; i++) {
      const e = this.slot(i)
      if (e[0] === 0) break // end of directory (spec §6.1)
      if (e[0] === DELETED) {
        lfn = null
        continue
      }
      const attr = e[11]!
      if (isLfn(attr)) {
        lfn = lfnStep(lfn, e, i)
        continue
      }
      const raw = e.toString('latin1', 0, 11)
      parsed.shortNames.add(raw)
      const run = lfn
      lfn = null
      if (attr & ATTR_VOLUME_ID || e[0] === 0x2e) continue // the volume label, '.' and '..'
      const long = run && run.expect === 1 && run.checksum === lfnChecksum(e) ? run.parts.join('') : null
      const entry: DirEntry = {
        name: long ?? displayShortName(raw, e[12]!),
        raw,
        slot: i,
        first: long ? run!.first : i,
        attr,
        cluster: entryCluster(e),
        size: e.readUInt32LE(28),
        mtime: decodeTimestamp(e.readUInt16LE(24), e.readUInt16LE(22)),
        isDirectory: (attr & ATTR_DIRECTORY) !== 0,
      }
      parsed.entries.push(entry)
      if (!parsed.byLong.has(key(entry.name))) parsed.byLong.set(key(entry.name), entry)
      const short = key(displayShortName(raw, 0))
      if (!parsed.byShort.has(short)) parsed.byShort.set(short, entry)
    }
    this.parsed = parsed
    return parsed
  }
}

/** Follows an LFN run: it starts at the 0x40 entry and counts down to ordinal 1 with one checksum. */
function lfnStep(run: LfnRun | null, e: Buffer, index: number): LfnRun | null {
  const ordinal = e[0]! & 0x1f
  const { text } = lfnPart(e)
  if (ordinal === 0) return null
  if (e[0]! & LAST_LFN) return { first: index, checksum: e[13]!, expect: ordinal, parts: [text] }
  if (!run || ordinal !== run.expect - 1 || e[13] !== run.checksum) return null
  run.parts.unshift(text)
  run.expect = ordinal
  return run
}
