/**
 * /proc/self/mountinfo, parsed: what is mounted where in this process's own mount namespace
 * (a private namespace made with `unshare -m` sees its own mounts, /proc/mounts may not).
 */
import { readFileSync } from 'node:fs'
import { splitLines } from './lines'

export interface MountEntry {
  /** major:minor of the mounted filesystem's device (0:N for virtual filesystems and btrfs) */
  device: string
  /** The subtree mounted here: `/` for a whole filesystem, `/@home` for a btrfs subvolume, a folder for a bind mount */
  root: string
  mountPoint: string
  fsType: string
  /** `/dev/sda2`, `/dev/mapper/root`, `tmpfs`, `/dev/root`… */
  source: string
}

/** The kernel writes space, tab, newline and backslash in these fields as octal escapes (`\040`). */
export const unescapeMountField = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))

/** `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue` → its fields; malformed lines are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = []
  for (const line of splitLines(text)) {
    const fields = line.split(' ')
    const separator = fields.indexOf('-', 6) // optional fields (shared:1, master:2) sit between the options and ' - '
    const [device, root, mountPoint] = fields.slice(2, 5)
    const [fsType, source] = fields.slice(separator + 1, separator + 3)
    if (separator < 0 || !device || !root || !mountPoint || !fsType || source === undefined) continue
    entries.push({ device, root: unescapeMountField(root), mountPoint: unescapeMountField(mountPoint), fsType, source: unescapeMountField(source) })
  }
  return entries
}

/** This process's mountinfo text; empty where there is none (not Linux). */
export function readMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
  } catch {
    return ''
  }
}
