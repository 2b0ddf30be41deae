/**
 * Which drives the running system uses, by what they hold rather than by drivelist's flags
 * (a Pi or laptop booted from a USB SSD lists its root disk as removable). Pure: fed with the
 * text of /proc/self/mountinfo and /proc/swaps and a small sysfs lookup (sysfs.ts reads the real one).
 */
import { parseMountinfo, unescapeMountField, type MountEntry } from '../util/mountinfo'
import { splitLines } from '../util/lines'

/** Mount points whose drive is never written: the running system lives there. */
export const SYSTEM_MOUNT_POINTS: readonly string[] = ['/', '/boot', '/boot/firmware', '/usr', '/var', '/home']

/** Something the running system uses on a drive: a system mount point, or swap space in use (a device or a swap file). */
export interface SystemUse {
  kind: 'mount' | 'swap'
  path: string
}

/** The few sysfs facts the mapping needs, by kernel name (sda, sda2, dm-0, loop0p1). */
export interface BlockSysfs {
  /** The block device a /dev path is (links resolved: /dev/mapper/root → dm-0); null if none. */
  nameOfPath(devicePath: string): string | null
  /** The block device with this major:minor (/dev/root names no node: 179:2 → mmcblk0p2); null if none. */
  nameOfNumber(majorMinor: string): string | null
  /** The whole disk a partition is on (sda2 → sda, loop0p1 → loop0); null when `name` is no partition. */
  parentOf(name: string): string | null
  /** What a device-mapper or md device is built on (/sys/block/dm-0/slaves). */
  slavesOf(name: string): string[]
}

export interface DiskUse {
  /** Every mount point of the disk or anything built on it */
  mountpoints: string[]
  system: SystemUse[]
}

/** Whole-disk kernel name → where it (or anything on it) is mounted, and what of that the running system uses. */
export function diskUses(mountinfo: string, swaps: string, sysfs: BlockSysfs): Map<string, DiskUse> {
  const uses = new Map<string, DiskUse>()
  const useOf = (disk: string) => uses.get(disk) ?? uses.set(disk, { mountpoints: [], system: [] }).get(disk)!
  const mounts = parseMountinfo(mountinfo)
  for (const mount of mounts) {
    for (const disk of disksOfMount(mount, sysfs)) {
      const use = useOf(disk)
      use.mountpoints.push(mount.mountPoint)
      if (SYSTEM_MOUNT_POINTS.includes(mount.mountPoint)) use.system.push({ kind: 'mount', path: mount.mountPoint })
    }
  }
  for (const swap of parseSwaps(swaps)) {
    const holder = swap.type === 'file' ? mountHolding(swap.path, mounts) : null
    const disks = holder ? disksOfMount(holder, sysfs) : disksOfName(sysfs.nameOfPath(swap.path), sysfs)
    for (const disk of disks) useOf(disk).system.push({ kind: 'swap', path: swap.path })
  }
  return uses
}

/** The whole disks a mount's filesystem lives on; none for virtual filesystems (proc, tmpfs, overlay). */
function disksOfMount(mount: MountEntry, sysfs: BlockSysfs): string[] {
  // findmnt writes a btrfs subvolume's source as /dev/sda2[/@home]; mountinfo keeps the two apart.
  const source = mount.source.replace(/\[[^\]]*\]$/, '')
  const name = (source.startsWith('/dev/') ? sysfs.nameOfPath(source) : null) ?? sysfs.nameOfNumber(mount.device)
  return disksOfName(name, sysfs)
}

/** A partition's disk; a device-mapper (LVM, LUKS) or md device's slaves' disks, recursively. */
export function disksOfName(name: string | null, sysfs: BlockSysfs, depth = 0): string[] {
  if (!name) return []
  if (depth > 16) return [name] // a loop in sysfs would be a kernel bug: stop rather than spin
  const parent = sysfs.parentOf(name)
  if (parent) return disksOfName(parent, sysfs, depth + 1)
  const slaves = sysfs.slavesOf(name)
  if (slaves.length === 0) return [name]
  return [...new Set(slaves.flatMap((slave) => disksOfName(slave, sysfs, depth + 1)))]
}

/** The mount a file lives on: the longest mount point above it (the last mounted wins a tie: it hides the others). */
function mountHolding(file: string, mounts: MountEntry[]): MountEntry | null {
  let best: MountEntry | null = null
  for (const mount of mounts) {
    const inside = mount.mountPoint === '/' || file === mount.mountPoint || file.startsWith(`${mount.mountPoint}/`)
    if (inside && (!best || mount.mountPoint.length >= best.mountPoint.length)) best = mount
  }
  return best
}

/** /proc/swaps: `Filename Type Size Used Priority`, one swap area a line after the header. */
export function parseSwaps(text: string): { path: string; type: string }[] {
  return splitLines(text)
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 2 && fields[0]!.startsWith('/'))
    .map(([file, type]) => ({ path: unescapeMountField(file!), type: type! }))
}

/**
 * macOS and Windows: the drive holding the running system, from drivelist's mount points
 * (`/` on macOS; the system drive letter, %SystemDrive%, on Windows).
 */
export function runningSystemUses(mountpoints: string[], platform: NodeJS.Platform, systemDrive = 'C:'): SystemUse[] {
  if (platform === 'win32') {
    const letter = (mount: string) => mount.replace(/[\\/]+$/, '').toUpperCase()
    return mountpoints.filter((mount) => letter(mount) === letter(systemDrive)).map((mount) => ({ kind: 'mount', path: mount }))
  }
  return mountpoints.filter((mount) => mount === '/').map((mount) => ({ kind: 'mount', path: mount }))
}
