/**
 * Edits a flashed card's boot partition (a drive or an image file) without mounting it.
 * Reads reach startup-scripts, buildinfo, cmdline.txt and config.txt; changes reach only
 * startup-scripts, so a slip cannot make a card unbootable.
 */
import { posix } from 'node:path'
import type { Disk } from 'file-disk'
import { BuildError } from '../util/errors'
import { openDisk } from '../image/block-disk'
import { withFat, type FatFs } from '../image/fat'
import { FatError } from '../image/fat/errors'
import { detectFilesystem } from '../image/filesystems'
import { readerOf } from '../image/open'
import { readPartitionTable } from '../image/partitions'
import type { CardEntry } from '../vocabulary'

export type { CardEntry }

export interface Card {
  /** Everything under `dir` (default /startup-scripts; /buildinfo and their subfolders too), recursively, in path order. */
  list(dir?: string): Promise<CardEntry[]>
  read(path: string): Promise<Buffer>
  /** Only /startup-scripts/device.env and files under run-once/, every-time/ and resources/; makes missing folders. */
  write(path: string, content: Buffer): Promise<void>
  /** Only under /startup-scripts/: a file, or an empty folder. */
  remove(path: string): Promise<void>
  /** /buildinfo/buildinfo.json parsed, or null when the card has none. */
  buildInfo(): Promise<unknown | null>
}

const SCRIPTS = '/startup-scripts'
const BUILDINFO = '/buildinfo'
const WRITABLE_DIRS = ['run-once', 'every-time', 'resources'].map((dir) => `${SCRIPTS}/${dir}`)

// FAT matches names case-insensitively, so the areas do too.
const within = (path: string, dir: string) => path.toLowerCase() === dir || path.toLowerCase().startsWith(`${dir}/`)
const inside = (path: string, dir: string) => path.toLowerCase().startsWith(`${dir}/`)

const mayList = (path: string) => within(path, SCRIPTS) || within(path, BUILDINFO)
const mayRead = (path: string) => mayList(path) || ['/cmdline.txt', '/config.txt'].includes(path.toLowerCase())
const mayWrite = (path: string) => path.toLowerCase() === `${SCRIPTS}/device.env` || WRITABLE_DIRS.some((dir) => inside(path, dir))
const mayRemove = (path: string) => inside(path, SCRIPTS)

/** Absolute, '/'-separated, no '.' or '..' parts: returned without repeated or trailing slashes. */
export function cardPath(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new BuildError('FORBIDDEN', `Card paths are absolute ("/startup-scripts/…"): ${path}`)
  }
  if (path.includes('\\') || path.includes('\0')) throw new BuildError('FORBIDDEN', `Card paths are "/"-separated: ${path}`)
  const parts = path.split('/').filter(Boolean)
  if (parts.some((part) => part === '..' || part === '.')) throw new BuildError('FORBIDDEN', `Card paths may not hold "." or "..": ${path}`)
  return `/${parts.join('/')}`
}

function allowed(path: string, check: (path: string) => boolean, what: string): string {
  const clean = cardPath(path)
  if (!check(clean)) throw new BuildError('FORBIDDEN', `${clean}: ${what}`)
  return clean
}

export async function withCard<T>(target: string, mode: 'read' | 'write', fn: (card: Card) => Promise<T>): Promise<T> {
  const opened = await openDisk(target, mode)
  try {
    const boot = await findBoot(target, opened.disk, opened.capacity)
    return await withFat(opened.disk, boot, async (fs) => {
      let open = true
      try {
        return await fn(cardOver(fs, mode, () => open))
      } finally {
        open = false
      }
    })
  } finally {
    await opened.close()
  }
}

/**
 * The first FAT partition. Only that one is needed to edit the scripts, so unlike
 * describeImage a card whose root partition is damaged can still be opened.
 */
async function findBoot(target: string, disk: Disk, capacity: number): Promise<{ offset: number; size: number }> {
  const read = readerOf(disk)
  let problem: string
  try {
    const table = await readPartitionTable(read, capacity)
    const kinds = await Promise.all(table.partitions.map(async (p) => ({ ...p, kind: (await detectFilesystem(read, p.offset)).kind })))
    const boot = kinds.find((p) => p.kind === 'fat')
    if (boot) return { offset: boot.offset, size: boot.size }
    problem = `No FAT boot partition on ${target} (partitions: ${kinds.map((p) => `#${p.index} ${p.kind}`).join(', ') || 'none'})`
  } catch (error) {
    if (!(error instanceof BuildError)) throw error
    problem = `${target} is not a card or disk image: ${error.message}`
  }
  // A FAT boot sector also ends in 55 AA, so a partition given for the drive reads as a table of garbage.
  if (capacity >= 2048 && (await detectFilesystem(read, 0)).kind === 'fat') {
    throw new BuildError('INVALID_IMAGE', `${target} is a FAT filesystem, not a whole card: give the drive (e.g. /dev/sdb, not /dev/sdb1)`)
  }
  throw new BuildError('INVALID_IMAGE', problem)
}

function cardOver(fs: FatFs, mode: 'read' | 'write', isOpen: () => boolean): Card {
  const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (!isOpen()) throw new Error('The card is closed: use it only inside withCard')
      try {
        return await fn(...args)
      } catch (error) {
        throw cardError(error)
      }
    }
  const writable = (path: string) => {
    if (mode !== 'write') throw new BuildError('FORBIDDEN', `The card is open for reading only: cannot change ${path}`)
  }

  return {
    list: guard(async (dir = SCRIPTS) => {
      const root = allowed(dir, mayList, 'only /startup-scripts and /buildinfo can be listed')
      if (!(await fs.stat(root)).isDirectory()) throw new BuildError('INVALID_INPUT', `Not a folder on the card: ${root}`)
      // tree() enters each folder once: a hostile card's folder pointing back at its ancestor fails, not walks forever.
      const entries: CardEntry[] = (await fs.tree(root)).map((entry) => ({
        path: entry.path,
        size: entry.isDirectory ? 0 : entry.size,
        isDirectory: entry.isDirectory,
        mtime: entry.mtime.toISOString(),
      }))
      return entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
    }),
    read: guard(async (path: string) => {
      const clean = allowed(path, mayRead, 'only /startup-scripts, /buildinfo, /cmdline.txt and /config.txt can be read')
      return fs.readFile(clean)
    }),
    write: guard(async (path: string, content: Buffer) => {
      const clean = allowed(path, mayWrite, `only ${SCRIPTS}/device.env and files in run-once/, every-time/ and resources/ can be written`)
      writable(clean)
      await fs.mkdirp(posix.dirname(clean))
      await fs.writeFile(clean, content)
    }),
    remove: guard(async (path: string) => {
      const clean = allowed(path, mayRemove, `only files and empty folders in ${SCRIPTS}/ can be removed`)
      writable(clean)
      if ((await fs.stat(clean)).isDirectory()) await fs.rmdir(clean)
      else await fs.unlink(clean)
    }),
    buildInfo: guard(async () => {
      const file = `${BUILDINFO}/buildinfo.json`
      if (!(await fs.exists(file))) return null
      const text = (await fs.readFile(file)).toString('utf8')
      try {
        return JSON.parse(text) as unknown
      } catch (error) {
        throw new BuildError('INVALID_IMAGE', `${file} on the card is not valid JSON: ${(error as Error).message}`)
      }
    }),
  }
}

/** FAT errors as coded errors the CLI and the app can act on. */
function cardError(error: unknown): unknown {
  if (!(error instanceof FatError)) return error
  const path = error.path ?? ''
  switch (error.code) {
    case 'ENOENT':
      return new BuildError('NOT_FOUND', `Not on the card: ${path}`)
    case 'EISDIR':
      return new BuildError('INVALID_INPUT', `A folder, not a file: ${path}`)
    case 'ENOTDIR':
      return new BuildError('INVALID_INPUT', `A part of the path is a file, not a folder: ${path}`)
    case 'ENOTEMPTY':
      return new BuildError('INVALID_INPUT', `The folder is not empty: ${path}`)
    case 'EINVAL':
      // Without a path: the boot sector itself (notFat), not a name the caller gave.
      if (error.path === undefined) return new BuildError('INVALID_IMAGE', `The card's boot partition is damaged: ${error.message}`)
      return new BuildError('INVALID_INPUT', error.message)
    case 'EEXIST':
      return new BuildError('INVALID_INPUT', error.message)
    case 'ENOSPC':
      return new BuildError('UNWRITABLE', `The card's boot partition is full (writing ${path})`)
    case 'EIO':
      return new BuildError('INVALID_IMAGE', `The card's boot partition is damaged: ${error.message}`)
    default:
      return error
  }
}
