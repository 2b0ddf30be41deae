/**
 * Drive safety rules: whether a drive may be flashed with an image, and why not.
 * Pure functions (no I/O), so the app, the CLI and the tests judge drives the same way.
 */
import path from 'node:path'
import { formatBytes } from '../util/bytes'
import type { DriveIssue, DriveIssueCode } from '../vocabulary'
import type { Drive } from './drives'

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
  if (drive.system) {
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
