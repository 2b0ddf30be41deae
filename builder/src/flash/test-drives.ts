/**
 * Where test drives (loop devices standing in for cards) come from. drivelist hides loop
 * devices, and tests must flash loop devices, never real cards; a test drive is offered as a
 * removable drive, so whoever names one can make a flash write that block device.
 *
 * - 'environment': ORCHARD_TEST_DRIVES=/dev/loop3,/dev/loop4. For core, the CLI and every
 *   unprivileged run: the caller can write nothing it could not write anyway.
 * - 'root-file': the files in TEST_DRIVES_DIR, one block device a line. For the elevated
 *   writer: its caller controls its environment (pkexec and sudo clear or pass it), so only
 *   what root itself wrote counts — each file root-owned and writable by no one else, the
 *   folder and its parents too; anything else is ignored with a warning. A folder of files,
 *   so parallel test workers each add and remove their own.
 */
import { constants } from 'node:fs'
import { lstat, open, readdir } from 'node:fs/promises'
import path from 'node:path'
import { splitLines } from '../util/lines'

export type TestDriveSource = 'environment' | 'root-file'

/** The one place the elevated writer reads test drives from. */
export const TEST_DRIVES_DIR = '/etc/orchard/test-drives.d'

export interface TestDriveEntry {
  device: string
  /** Who named it: ORCHARD_TEST_DRIVES or the root-owned file */
  origin: string
}

export type Warn = (message: string) => void
const stderrWarn: Warn = (message) => process.stderr.write(`orchard: ${message}\n`)

/** The block devices named in ORCHARD_TEST_DRIVES. */
export function testDrivesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.ORCHARD_TEST_DRIVES ?? '')
    .split(',')
    .map((device) => device.trim())
    .filter(Boolean)
}

/** Why root must not trust what this file or folder says; null when only root can have written it. */
export function ownershipProblem(stats: { uid: number; mode: number }): string | null {
  if (stats.uid !== 0) return `owned by uid ${stats.uid}, not root`
  if (stats.mode & 0o022) return `writable by its group or everyone (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')})`
  return null
}

/** The test drives root registered in `dir` (TEST_DRIVES_DIR), read afresh at every call. */
export async function testDrivesFromRootFolder(dir = TEST_DRIVES_DIR, warn: Warn = stderrWarn): Promise<TestDriveEntry[]> {
  const names = await readdir(dir).catch(() => null)
  if (!names) return [] // no folder: no test drives, the normal case
  const folderProblem = await untrustedFolder(dir)
  if (folderProblem) {
    warn(`ignoring the test drives in ${dir}: ${folderProblem}`)
    return []
  }
  const entries: TestDriveEntry[] = []
  // A dot file is one being written (renamed into place when complete).
  for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
    const file = path.join(dir, name)
    const text = await readRootOwnedFile(file).catch((error: Error & { gone?: boolean }) => {
      // Removed since the folder was listed (a test's card pulled): nothing to say.
      if (!error.gone) warn(`ignoring the test-drive file ${file}: ${error.message}`)
      return ''
    })
    for (const line of splitLines(text).map((l) => l.trim())) {
      if (line && !line.startsWith('#')) entries.push({ device: line, origin: file })
    }
  }
  return entries
}

/** `dir` and every folder above it must be real folders only root can change. */
async function untrustedFolder(dir: string): Promise<string | null> {
  for (let folder = path.resolve(dir); ; folder = path.dirname(folder)) {
    const stats = await lstat(folder)
    if (!stats.isDirectory()) return `${folder} is not a folder (a symbolic link?)`
    const problem = ownershipProblem(stats)
    if (problem) return `${folder} is ${problem}`
    if (folder === path.dirname(folder)) return null
  }
}

/** Opened without following a link and without waiting on a FIFO, then judged by what was opened. */
async function readRootOwnedFile(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw Object.assign(new Error(error.code === 'ELOOP' ? 'it is a symbolic link' : `cannot open it (${error.code ?? error.message})`), { gone: error.code === 'ENOENT' })
  })
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new Error('it is not a regular file')
    const problem = ownershipProblem(stats)
    if (problem) throw new Error(`it is ${problem}`)
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}
