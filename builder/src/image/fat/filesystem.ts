/** The FatFs operations over an open Volume: path resolution, then directory and FAT edits. */
import type { FatEntry, FatFs, FatStat, FatTreeEntry } from '../fat'
import type { DirEntry, Directory } from './directory'
import { ATTR_ARCHIVE, ATTR_DIRECTORY, type FatStamp, encodeTimestamp, newEntry, setEntryCluster, touch } from './entry'
import { type FatErrorCode, FatError, corrupt, fsError } from './errors'
import { lfnSlots } from './names'
import { splitPath } from './paths'
import type { Volume } from './volume'

interface Found {
  parent: Directory
  entry: DirEntry
  /** First clusters of the directories from the root down to `parent`. */
  chain: Set<number>
}

interface Parent {
  parent: Directory
  /** The last component; undefined for the root itself. */
  name: string | undefined
  /** First clusters of the directories from the root down to `parent`. */
  chain: Set<number>
}

export class FatFileSystem implements FatFs {
  /** Operations run one at a time: each reads and edits shared in-memory directories and the FAT. */
  private queue: Promise<unknown> = Promise.resolve()

  /** `now`: the one time every entry written gets, in UTC (reproducible builds); else the clock, in local time. */
  constructor(
    private readonly vol: Volume,
    private readonly now?: Date,
  ) {}

  private stamp(): FatStamp {
    return this.now ? encodeTimestamp(this.now, true) : encodeTimestamp(new Date())
  }

  readFile(path: string): Promise<Buffer> {
    return this.serial(async () => {
      const found = await this.lookup(path, 'open')
      if (!found || found.entry.isDirectory) throw fsError('EISDIR', 'read', path)
      return this.vol.readChain(found.entry.cluster, found.entry.size)
    })
  }

  writeFile(path: string, data: Buffer | string): Promise<void> {
    return this.serial(async () => {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
      const { parent, name } = await this.parentOf(path, 'open')
      if (!name) throw fsError('EISDIR', 'open', path)
      const existing = parent.find(name)
      if (existing?.isDirectory) throw fsError('EISDIR', 'open', path)
      if (existing) await this.replace(parent, existing, bytes, path)
      else await this.create(parent, name, bytes, path)
    })
  }

  readdir(path: string): Promise<string[]> {
    return this.serial(async () => (await this.dirAt(path, 'scandir')).entries().map((e) => e.name))
  }

  list(path: string): Promise<FatEntry[]> {
    return this.serial(async () =>
      (await this.dirAt(path, 'scandir'))
        .entries()
        .map(({ name, isDirectory, size, mtime }) => ({ name, isDirectory, size, mtime })),
    )
  }

  tree(path: string): Promise<FatTreeEntry[]> {
    return this.serial(async () => {
      const { dir, chain } = await this.dirAndChain(path, 'scandir')
      // Each directory once: a second way into one is a cycle or a cross-link, and either would walk it again.
      const seen = new Set(chain)
      const out: FatTreeEntry[] = []
      const walk = async (at: Directory, prefix: string): Promise<void> => {
        for (const entry of at.entries()) {
          const child = `${prefix}/${entry.name}`
          out.push({ path: child, name: entry.name, isDirectory: entry.isDirectory, size: entry.size, mtime: entry.mtime })
          if (!entry.isDirectory) continue
          const dir = await this.enter(entry, seen, 'scandir', child)
          seen.add(dir.cluster)
          await walk(dir, child)
        }
      }
      await walk(dir, path.replace(/\/+$/, ''))
      return out
    })
  }

  unlink(path: string): Promise<void> {
    return this.serial(async () => {
      const found = await this.lookup(path, 'unlink')
      if (!found || found.entry.isDirectory) throw fsError('EISDIR', 'unlink', path)
      this.vol.releaseChain(found.entry.cluster)
      found.parent.remove(found.entry)
    })
  }

  rmdir(path: string): Promise<void> {
    return this.serial(async () => {
      const found = await this.lookup(path, 'rmdir')
      if (!found) throw fsError('EINVAL', 'rmdir', path, 'cannot remove the root directory')
      if (!found.entry.isDirectory) throw fsError('ENOTDIR', 'rmdir', path)
      const dir = await this.enter(found.entry, found.chain, 'rmdir', path)
      if (dir.entries().length > 0) throw fsError('ENOTEMPTY', 'rmdir', path)
      found.parent.remove(found.entry)
      this.vol.dropDir(dir)
    })
  }

  rename(from: string, to: string): Promise<void> {
    return this.serial(async () => {
      const source = await this.lookup(from, 'rename')
      if (!source) throw fsError('EINVAL', 'rename', from, 'cannot move the root directory')
      const target = await this.parentOf(to, 'rename')
      if (!target.name) throw fsError('EEXIST', 'rename', to)
      const clash = target.parent.find(target.name)
      const self = clash && target.parent === source.parent && clash.slot === source.entry.slot
      if (clash && !self) throw fsError('EEXIST', 'rename', to)
      const { entry } = source
      if (self && entry.name === target.name) return
      if (entry.isDirectory && target.chain.has(entry.cluster)) {
        throw fsError('EINVAL', 'rename', to, `cannot move '${from}' into itself`)
      }
      const moved = entry.isDirectory && target.parent !== source.parent ? await this.enter(entry, source.chain, 'rename', from) : null
      // The new name first, then the old one goes: on ENOSPC nothing has changed.
      const template = Buffer.from(source.parent.slot(entry.slot))
      this.addEntry(target.parent, target.name, template, 'rename', to, self ? entry : undefined)
      source.parent.remove(entry)
      if (moved) this.repointDotDot(moved, target.parent)
    })
  }

  stat(path: string): Promise<FatStat> {
    return this.serial(async () => {
      const found = await this.lookup(path, 'stat')
      const isDirectory = !found || found.entry.isDirectory
      const size = found?.entry.size ?? 0
      const mtime = found?.entry.mtime ?? new Date(1980, 0, 1)
      return { isDirectory: () => isDirectory, isFile: () => !isDirectory, size: isDirectory ? 0 : size, mtime }
    })
  }

  exists(path: string): Promise<boolean> {
    return this.stat(path).then(
      () => true,
      (error: unknown) => {
        if (hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR')) return false
        throw error
      },
    )
  }

  mkdir(path: string): Promise<void> {
    return this.serial(async () => {
      const { parent, name } = await this.parentOf(path, 'mkdir')
      if (!name || parent.find(name)) throw fsError('EEXIST', 'mkdir', path)
      await this.makeDir(parent, name, path)
    })
  }

  mkdirp(path: string): Promise<void> {
    return this.serial(async () => {
      let dir = await this.vol.dir(0)
      const chain = new Set([dir.cluster])
      for (const part of splitPath(path, 'mkdir')) {
        const entry = dir.find(part)
        if (entry && !entry.isDirectory) throw fsError('ENOTDIR', 'mkdir', path)
        dir = entry ? await this.enter(entry, chain, 'mkdir', path) : await this.makeDir(dir, part, path)
        chain.add(dir.cluster)
      }
    })
  }

  freeBytes(): Promise<number> {
    return this.serial(async () => this.vol.freeBytes)
  }

  /** Runs after every operation queued before it, even failed ones. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op)
    this.queue = run.catch(() => undefined)
    return run
  }

  /** The entry at `path` and its directory; null for the root itself. */
  private async lookup(path: string, syscall: string): Promise<Found | null> {
    const { parent, name, chain } = await this.parentOf(path, syscall)
    if (!name) return null
    const entry = parent.find(name)
    if (!entry) throw fsError('ENOENT', syscall, path)
    return { parent, entry, chain }
  }

  /**
   * The directory an entry names, refusing what only damage or a hostile card makes: no
   * cluster (0 would be the root again) or one of the directories already on the way (a
   * cycle, e.g. a subfolder pointing at its ancestor or a renamed '.'/'..').
   */
  private async enter(entry: DirEntry, seen: Set<number>, syscall: string, path: string): Promise<Directory> {
    if (entry.cluster < 2) throw corrupt(`folder '${entry.name}' has no cluster of its own (${entry.cluster})`, syscall, path)
    if (seen.has(entry.cluster)) {
      throw corrupt(`folder '${entry.name}' is reached twice (cluster ${entry.cluster}): a directory cycle or cross-link`, syscall, path)
    }
    return this.vol.dir(entry.cluster)
  }

  /** The directory that holds (or would hold) the last component, and the clusters of the directories on the way. */
  private async parentOf(path: string, syscall: string): Promise<Parent> {
    const parts = splitPath(path, syscall)
    const name = parts.pop()
    let parent = await this.vol.dir(0)
    const chain = new Set([parent.cluster])
    for (const part of parts) {
      const entry = parent.find(part)
      if (!entry) throw fsError('ENOENT', syscall, path)
      if (!entry.isDirectory) throw fsError('ENOTDIR', syscall, path)
      parent = await this.enter(entry, chain, syscall, path)
      chain.add(parent.cluster)
    }
    return { parent, name, chain }
  }

  private async dirAt(path: string, syscall: string): Promise<Directory> {
    return (await this.dirAndChain(path, syscall)).dir
  }

  /** The directory at `path` and the clusters of every directory from the root down to it. */
  private async dirAndChain(path: string, syscall: string): Promise<{ dir: Directory; chain: Set<number> }> {
    const found = await this.lookup(path, syscall)
    if (!found) {
      const root = await this.vol.dir(0)
      return { dir: root, chain: new Set([root.cluster]) }
    }
    if (!found.entry.isDirectory) throw fsError('ENOTDIR', syscall, path)
    const dir = await this.enter(found.entry, found.chain, syscall, path)
    return { dir, chain: new Set([...found.chain, dir.cluster]) }
  }

  /** Replaces a file's data: the new chain is written before the old is freed, unless only reusing it makes room. */
  private async replace(parent: Directory, entry: DirEntry, bytes: Buffer, path: string): Promise<void> {
    const needed = this.vol.clustersFor(bytes.length)
    const old = entry.cluster >= 2 ? this.vol.fat.chain(entry.cluster) : []
    const free = this.vol.fat.freeCount
    if (needed > free + old.length) throw fsError('ENOSPC', 'write', path)
    let cluster: number
    if (needed <= free) {
      cluster = await this.vol.writeChain(bytes)
      this.vol.fat.release(old)
    } else {
      this.vol.fat.release(old)
      cluster = await this.vol.writeChain(bytes).catch((error: unknown) => {
        parent.update(entry, (e) => setEntry(e, 0, 0)) // the old data is gone: leave an empty file, not a dangling chain
        throw error
      })
    }
    parent.update(entry, (e) => {
      setEntry(e, cluster, bytes.length)
      e[11] = e[11]! | ATTR_ARCHIVE
      touch(e, this.stamp())
    })
  }

  private async create(parent: Directory, name: string, bytes: Buffer, path: string): Promise<void> {
    const needed = this.vol.clustersFor(bytes.length)
    const growth = this.vol.growthFor(parent, this.slotsFor(parent, name))
    if (growth === Infinity || needed + growth > this.vol.fat.freeCount) throw fsError('ENOSPC', 'open', path)
    const cluster = await this.vol.writeChain(bytes)
    this.addEntry(parent, name, newEntry(ATTR_ARCHIVE, cluster, bytes.length, this.stamp()), 'open', path)
  }

  private async makeDir(parent: Directory, name: string, path: string): Promise<Directory> {
    const growth = this.vol.growthFor(parent, this.slotsFor(parent, name))
    if (growth === Infinity || 1 + growth > this.vol.fat.freeCount) throw fsError('ENOSPC', 'mkdir', path)
    const when = this.stamp()
    const dir = this.vol.createDir(parent, when)
    this.addEntry(parent, name, newEntry(ATTR_DIRECTORY, dir.cluster, 0, when), 'mkdir', path)
    return dir
  }

  /** Names `template` (an 8.3 entry's bytes) `name` in `dir`, growing the directory when no free run is long enough. */
  private addEntry(dir: Directory, name: string, template: Buffer, syscall: string, path: string, except?: DirEntry): void {
    const short = dir.shortNameFor(name, except)
    const slots = (short.needsLfn ? lfnSlots(name) : 0) + 1
    const growth = this.vol.growthFor(dir, slots)
    if (growth === Infinity || growth > this.vol.fat.freeCount) throw fsError('ENOSPC', syscall, path)
    if (growth > 0) this.vol.grow(dir, growth)
    dir.place(name, short, template)
  }

  private slotsFor(dir: Directory, name: string): number {
    const short = dir.shortNameFor(name)
    return (short.needsLfn ? lfnSlots(name) : 0) + 1
  }

  /** A moved directory's '..' names its new parent (0 for the root, spec §6.7). */
  private repointDotDot(dir: Directory, parent: Directory): void {
    const dotDot = dir.slot(1)
    if (dotDot.toString('latin1', 0, 11) !== '..         ') return
    setEntryCluster(dotDot, this.vol.isRoot(parent) ? 0 : parent.cluster)
    dir.markDirty(32, 32)
  }
}

function setEntry(e: Buffer, cluster: number, size: number): void {
  setEntryCluster(e, cluster)
  e.writeUInt32LE(size, 28)
}

const hasCode = (error: unknown, code: FatErrorCode) => error instanceof FatError && error.code === code
