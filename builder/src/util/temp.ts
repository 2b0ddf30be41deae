/**
 * Temp files and folders that a crashed or killed run leaves behind. Their names carry the
 * pid of the process that made them, so a later run tells a dead run's leftovers from the
 * temps of a run still going, and removes them before they pile up (images are GBs).
 */
import { randomBytes } from 'node:crypto'
import { lstat, readdir, realpath, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseMountinfo, readMountinfo } from './mountinfo'
import { runCommand } from './process'
import { findExecutable, processAlive } from './tools'

/** A pid can be reused (containers start from 1 every time): past this age a leftover goes whatever its pid. */
const DAY_MS = 24 * 60 * 60 * 1000

/** `<prefix><pid>-<random hex><suffix>`: a name removeStaleTemps can judge. */
export function tempName(prefix: string, suffix = ''): string {
  return `${prefix}${process.pid}-${randomBytes(4).toString('hex')}${suffix}`
}

export interface StaleTempOptions {
  /** Only names that end so (`.partial`). */
  suffix?: string
  /** Age after which a leftover goes even when its pid is alive, or its name has none; one day by default. */
  olderThanMs?: number
}

/**
 * Removes the entries of `dir` that start with `prefix` (and end with `suffix`) and were left
 * by a run that is over: the pid before the last `-<hex>` of the name (as tempName writes
 * it) is no process any more, or the entry is older than `olderThanMs`. Never this
 * process's own. Folders go through removeTree. Best effort, never throws: a leftover
 * that cannot go now is tried again next time. Returns what it removed.
 */
export async function removeStaleTemps(dir: string, prefix: string, options: StaleTempOptions = {}): Promise<string[]> {
  const suffix = options.suffix ?? ''
  const olderThanMs = options.olderThanMs ?? DAY_MS
  const removed: string[] = []
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix) || name.length < prefix.length + suffix.length) continue
    const pid = Number(/(?:^|-)(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length, name.length - suffix.length))?.[1] ?? Number.NaN)
    if (pid === process.pid) continue
    const file = path.join(dir, name)
    const stats = await lstat(file).catch(() => null)
    if (!stats) continue
    const dead = Number.isInteger(pid) && !processAlive(pid)
    if (!dead && Date.now() - stats.mtimeMs <= olderThanMs) continue
    try {
      if (stats.isDirectory()) await removeTree(file)
      else await rm(file, { force: true })
      removed.push(file)
    } catch {
      // still mounted, or not ours to delete: next time
    }
  }
  return removed
}

/**
 * Deletes the folder `dir`, first unmounting what is still mounted below it (deepest first:
 * a killed chroot step leaves /proc, /sys and a bind of the host's /dev there, and a
 * recursive delete would go through them). Refuses while a mount remains.
 */
export async function removeTree(dir: string): Promise<void> {
  // The parent resolved, not `dir`: a symlink is removed, never what it points to.
  const parent = await realpath(path.dirname(dir)).catch(() => null)
  if (!parent) return
  const real = path.join(parent, path.basename(dir))
  const umount = findExecutable('umount') ?? 'umount'
  for (const point of mountPointsUnder(real).sort((a, b) => b.length - a.length)) {
    await runCommand(umount, [point]).catch(() => runCommand(umount, ['-l', point]).catch(() => undefined))
  }
  const left = mountPointsUnder(real)
  if (left.length > 0) throw new Error(`Not deleting ${real}: still mounted below it: ${left.join(', ')}`)
  await rm(real, { recursive: true, force: true })
}

/** Mount points at or below `dir`, from /proc/self/mountinfo (none where there is no such file). */
export function mountPointsUnder(dir: string, mountinfo = readMountinfo()): string[] {
  return parseMountinfo(mountinfo)
    .map((entry) => entry.mountPoint)
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
}

/** Writes `file` whole or not at all: a pid-named temp beside it, renamed into place; the temp is removed on failure. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = path.join(path.dirname(file), tempName(`${path.basename(file)}.`, '.partial'))
  try {
    await writeFile(temp, data)
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}
