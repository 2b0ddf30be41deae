/** ext2/3/4 access without mounting or root, through libext2fs compiled to WebAssembly. */
import type { ExtPromises } from 'ext2fs'
import type { Disk } from 'file-disk'
import { createRequire } from 'node:module'

/**
 * libext2fs's Emscripten glue adds process-wide handlers that rethrow every uncaught error
 * from inside its minified file, so any crash anywhere printed a megabyte of source. Node
 * already treats those errors as fatal: load it, then take its handlers off again.
 */
function loadExt2fs(): typeof import('ext2fs') {
  const before = { exception: process.listeners('uncaughtException'), rejection: process.listeners('unhandledRejection') }
  const module = createRequire(import.meta.url)('ext2fs') as typeof import('ext2fs')
  for (const listener of process.listeners('uncaughtException')) {
    if (!before.exception.includes(listener)) process.removeListener('uncaughtException', listener)
  }
  for (const listener of process.listeners('unhandledRejection')) {
    if (!before.rejection.includes(listener)) process.removeListener('unhandledRejection', listener)
  }
  return module
}

const { withMountedDisk } = loadExt2fs()

export type ExtFs = ExtPromises

/**
 * Runs `fn` on the ext filesystem in `partition`. With `now`, every time libext2fs stamps
 * (inode times of what is written, the superblock's write time) is `now`: see fixedExtClock.
 */
export async function withExt<T>(disk: Disk, partition: { offset: number }, fn: (fs: ExtFs) => Promise<T>, now?: Date): Promise<T> {
  const restore = now ? fixedExtClock(now) : () => {}
  try {
    return await withMountedDisk(disk, partition.offset, ({ promises: fs }) => fn(fs))
  } finally {
    restore()
  }
}

/**
 * libext2fs (Emscripten) reads the time only through the global Date.now and offers no
 * utimes, so for reproducible builds Date.now answers `now` to calls made from its glue
 * file and the real time to everyone else (the app's core shares this process). Nested
 * uses stack; the last one out puts the real Date.now back.
 */
const clocks: Date[] = []
let installed: { on: DateConstructor; now: () => number } | null = null

function fixedExtClock(now: Date): () => void {
  clocks.push(now)
  if (!installed) {
    const realNow = Date.now
    installed = { on: Date, now: realNow }
    Date.now = function now(): number {
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 2
      const caller = new Error().stack?.split('\n')[2] ?? ''
      Error.stackTraceLimit = limit
      const fixed = clocks.at(-1)
      return fixed && caller.includes('libext2fs.js') ? fixed.getTime() : realNow.call(Date)
    }
  }
  return () => {
    clocks.splice(clocks.lastIndexOf(now), 1)
    if (clocks.length === 0 && installed) {
      installed.on.now = installed.now
      installed = null
    }
  }
}

export async function extExists(fs: ExtFs, path: string): Promise<boolean> {
  return fs.lstat(path).then(() => true, () => false)
}

/** mkdir -p with explicit modes and root ownership, as a package would create them. */
export async function extMkdirp(fs: ExtFs, path: string, mode = 0o755): Promise<void> {
  let current = ''
  for (const part of path.split('/').filter(Boolean)) {
    current += `/${part}`
    if (await extExists(fs, current)) continue
    await fs.mkdir(current)
    await fs.chmod(current, mode)
    await fs.chown(current, 0, 0)
  }
}

/** Writes a file with the given mode and owner, creating its directory. */
export async function extWriteFile(fs: ExtFs, path: string, data: Buffer | string, mode = 0o644, owner: [number, number] = [0, 0]): Promise<void> {
  await extMkdirp(fs, path.slice(0, path.lastIndexOf('/')) || '/')
  await fs.writeFile(path, data)
  await fs.chmod(path, mode)
  await fs.chown(path, owner[0], owner[1])
}

/** Replaces whatever is at `path` with a symlink to `target`. */
export async function extSymlink(fs: ExtFs, target: string, path: string): Promise<void> {
  await extMkdirp(fs, path.slice(0, path.lastIndexOf('/')) || '/')
  if (await extExists(fs, path)) await fs.unlink(path)
  await fs.symlink(target, path)
}

export async function extReadText(fs: ExtFs, path: string): Promise<string | null> {
  return fs.readFile(path, 'utf8').then((text) => text, () => null)
}

/** The first `length` bytes of a file (ELF headers and the like) without reading all of it. */
export async function extReadHead(fs: ExtFs, path: string, length: number): Promise<Buffer | null> {
  const fd = await fs.open(path, 'r').then((handle) => handle.fd, () => null)
  if (fd === null) return null
  try {
    const buffer = Buffer.alloc(length)
    const { bytesRead } = await fs.read(fd, buffer, 0, length, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await fs.close(fd)
  }
}
