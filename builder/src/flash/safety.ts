/**
 * Safety rules: whether a drive or a file may be flashed with an image, and why not.
 * Pure functions, so the app, the CLI and the tests judge destinations the same way; the one
 * exception, inspectDestination, looks at what a destination path is (without following links).
 */
import { constants, type Stats } from 'node:fs'
import { lstat, open, readlink } from 'node:fs/promises'
import path from 'node:path'
import { hasPartitionSignature } from '../image/partitions'
import { formatBytes } from '../util/bytes'
import { BuildError } from '../util/errors'
import type { DriveIssue, DriveIssueCode } from '../vocabulary'
import type { Drive } from './drives'
import type { SystemUse } from './system-mounts'

export type { DriveIssue, DriveIssueCode }

export interface SafetyContext {
  /** Bytes the image needs */
  imageSize: number
  /** Absolute path of the source image file, symlinks resolved (to find the drive it lives on) */
  imagePath: string | null
  /** Drives in another running job */
  busyDevices: string[]
  /** Explicit override; default false */
  allowSystemDrives?: boolean
  /** Whose path rules apply; process.platform by default */
  platform?: NodeJS.Platform
}

/** Above this a "card" is more likely a disk someone cares about. */
export const VERY_LARGE_BYTES = 128e9

/** Two sizes formatted so they read differently ("8.0 GB is too small for 8.0 GB" helps nobody). */
function formatApart(a: number, b: number): [string, string] {
  for (let decimals = 1; decimals <= 3; decimals++) {
    const pair: [string, string] = [formatBytes(a, decimals), formatBytes(b, decimals)]
    if (pair[0] !== pair[1]) return pair
  }
  return [`${a} bytes`, `${b} bytes`]
}

const label = (drive: Drive, size = knownSize(drive) ? formatBytes(drive.size) : '') => (size ? `${drive.device} (${size})` : drive.device)
const knownSize = (drive: Drive) => Number.isFinite(drive.size) && drive.size > 0
const error = (code: DriveIssueCode, message: string): DriveIssue => ({ code, severity: 'error', message })
const warning = (code: DriveIssueCode, message: string): DriveIssue => ({ code, severity: 'warning', message })

/** Every reason not to flash `drive` (errors first); an empty list means go. */
export function checkDrive(drive: Drive, context: SafetyContext): DriveIssue[] {
  const platform = context.platform ?? process.platform
  const issues: DriveIssue[] = []
  if (drive.systemUses.length > 0) {
    // No override: the running system would destroy itself.
    issues.push(error('SYSTEM_DRIVE', `${drive.device} holds ${describeSystemUses(drive.systemUses)}: Orchard never writes a drive the running system uses`))
  } else if (drive.system) {
    issues.push(
      context.allowSystemDrives
        ? warning('SYSTEM_DRIVE', `${label(drive)} is a system drive: flashing it is allowed by the override and destroys what it holds`)
        : error('SYSTEM_DRIVE', `${label(drive)} is a system drive: writing it could destroy this computer's operating system`),
    )
  }
  const mount = context.imagePath ? drive.mountpoints.find((dir) => isInside(context.imagePath ?? '', dir, platform)) : undefined
  if (mount) issues.push(error('SOURCE_DRIVE', `${label(drive)} holds the image ${context.imagePath} (mounted at ${mount}): it cannot be written while it is read`))
  issues.push(...sizeIssues(drive, context.imageSize))
  if (drive.readOnly) issues.push(error('READ_ONLY', `${label(drive)} is read-only (is the card's lock switch on?)`))
  if (drive.size > VERY_LARGE_BYTES) issues.push(warning('VERY_LARGE', `${label(drive)} is larger than ${formatBytes(VERY_LARGE_BYTES, 0)}: is it really an SD card?`))
  const key = deviceKey(platform)
  if (context.busyDevices.some((busy) => key(busy) === key(drive.device) || key(busy) === key(drive.raw))) {
    issues.push(error('BUSY', `${label(drive)} is being flashed by another job`))
  }
  // Stable sort: errors first, each group in rule order.
  return issues.sort((a, b) => Number(a.severity === 'warning') - Number(b.severity === 'warning'))
}

function sizeIssues(drive: Drive, imageSize: number): DriveIssue[] {
  if (!knownSize(drive)) return [error('UNKNOWN_SIZE', `${drive.device}: its size is unknown, so nothing says the image (${formatBytes(imageSize)}) fits`)]
  if (drive.size >= imageSize) return []
  const [driveSize, needed] = formatApart(drive.size, imageSize)
  return [error('TOO_SMALL', `${label(drive, driveSize)} is too small for the image (${needed})`)]
}

/** No error-severity issue: warnings alone do not stop a flash. */
export function isFlashable(issues: DriveIssue[]): boolean {
  return !issues.some((issue) => issue.severity === 'error')
}

/** The drives to offer: system drives only when asked for. */
export function visibleDrives(drives: Drive[], showSystem: boolean): Drive[] {
  return showSystem ? drives : drives.filter((drive) => !drive.system)
}

// Windows and (by default) macOS file systems ignore case: comparing without case errs on the safe side there.
const ignoresCase = (platform: NodeJS.Platform) => platform === 'win32' || platform === 'darwin'

function deviceKey(platform: NodeJS.Platform): (device: string) => string {
  return platform === 'win32' ? (device) => device.toLowerCase() : (device) => device
}

/** Whether `file` lies under the directory `dir` (a path prefix that ends at a separator). */
function isInside(file: string, dir: string, platform: NodeJS.Platform): boolean {
  const paths = platform === 'win32' ? path.win32 : path.posix
  const fold = (p: string) => (ignoresCase(platform) ? p.toLowerCase() : p)
  const target = fold(paths.normalize(file))
  const prefix = fold(paths.normalize(dir))
  return target === prefix || target.startsWith(prefix.endsWith(paths.sep) ? prefix : prefix + paths.sep)
}

/** "/ and /home (system mounts) and the swap space /dev/sda3 (in use)" */
export function describeSystemUses(uses: SystemUse[]): string {
  const paths = (kind: SystemUse['kind']) => [...new Set(uses.filter((use) => use.kind === kind).map((use) => use.path))]
  const and = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : (items[0] ?? ''))
  const [mounts, swaps] = [paths('mount'), paths('swap')]
  const parts = [
    ...(mounts.length ? [`${and(mounts)} (${mounts.length > 1 ? 'system mounts' : 'a system mount'})`] : []),
    ...(swaps.length ? [`the swap space ${and(swaps)} (in use)`] : []),
  ]
  return parts.join(' and ')
}

/** One error for every destination refused before anything was written (the CLI exits 5). */
export function refusal(problems: string[]): BuildError {
  return new BuildError('UNSAFE_TARGET', `Refused before writing anything:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { problems })
}

/** What a destination path is, seen without following a link; a regular file with its first bytes. */
export type DestinationFacts =
  | { kind: 'missing' }
  | { kind: 'symlink'; target: string }
  | { kind: 'file'; head: Buffer }
  | { kind: 'block-device' | 'directory' | 'fifo' | 'socket' | 'character-device' | 'other' }

const HEAD_BYTES = 1024 // the MBR and the GPT header

export async function inspectDestination(destination: string): Promise<DestinationFacts> {
  const stats = await lstat(destination).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)))
  if (!stats) return { kind: 'missing' }
  if (stats.isSymbolicLink()) return { kind: 'symlink', target: await readlink(destination).catch(() => '?') }
  if (!stats.isFile()) return { kind: kindOf(stats) }
  // Opened again without following a link or waiting on a FIFO: the path may have changed since lstat.
  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)
  const handle = await open(destination, flags).catch((error: NodeJS.ErrnoException) => (error.code === 'ELOOP' ? null : Promise.reject(error)))
  if (!handle) return { kind: 'symlink', target: await readlink(destination).catch(() => '?') }
  try {
    const opened = await handle.stat()
    if (!opened.isFile()) return { kind: kindOf(opened) }
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0)
    return { kind: 'file', head: buffer.subarray(0, bytesRead) }
  } finally {
    await handle.close()
  }
}

function kindOf(stats: Stats): Exclude<DestinationFacts['kind'], 'missing' | 'symlink' | 'file'> {
  if (stats.isBlockDevice()) return 'block-device'
  if (stats.isDirectory()) return 'directory'
  if (stats.isFIFO()) return 'fifo'
  if (stats.isSocket()) return 'socket'
  if (stats.isCharacterDevice()) return 'character-device'
  return 'other'
}

const NOT_A_FILE: Record<Exclude<DestinationFacts['kind'], 'missing' | 'symlink' | 'file' | 'block-device'>, string> = {
  directory: 'a directory',
  fifo: 'a FIFO (named pipe)',
  socket: 'a socket',
  'character-device': 'a character device',
  other: 'not a regular file',
}

/** Why an image file may not be written at `destination`; null for a new path or an existing disk image. */
export function fileDestinationProblem(destination: string, facts: DestinationFacts): string | null {
  switch (facts.kind) {
    case 'missing':
      return null
    case 'symlink':
      return `${destination} is a symbolic link (to ${facts.target}): name the drive or image file itself, never a link`
    case 'file':
      return hasPartitionSignature(facts.head)
        ? null
        : `${destination} exists and is not a disk image (no MBR or GPT partition table): Orchard overwrites only disk image files`
    case 'block-device':
      return `${destination} is a block device: flash it as a drive, not as an image file`
    default:
      return `${destination} is ${NOT_A_FILE[facts.kind]}: only a drive or a disk image file can be flashed`
  }
}
