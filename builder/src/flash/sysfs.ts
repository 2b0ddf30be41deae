/** The real sysfs behind system-mounts.ts's BlockSysfs, and the /proc files it maps (Linux). */
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs'
import path from 'node:path'
import { readMountinfo } from '../util/mountinfo'
import { diskUses, type BlockSysfs, type DiskUse } from './system-mounts'

const classBlock = (name: string) => `/sys/class/block/${name}`
const known = (name: string) => !name.includes('/') && existsSync(classBlock(name))

export const linuxSysfs: BlockSysfs = {
  nameOfPath(devicePath) {
    const name = path.basename(tryOr(() => realpathSync(devicePath), devicePath))
    return known(name) ? name : null
  },
  nameOfNumber(majorMinor) {
    if (!/^\d+:\d+$/.test(majorMinor)) return null
    const name = path.basename(tryOr(() => realpathSync(`/sys/dev/block/${majorMinor}`), ''))
    return name && known(name) ? name : null
  },
  parentOf(name) {
    if (!known(name) || !existsSync(`${classBlock(name)}/partition`)) return null
    // /sys/class/block/sda2 → /sys/devices/…/block/sda/sda2
    return path.basename(path.dirname(realpathSync(classBlock(name))))
  },
  slavesOf(name) {
    return known(name) ? tryOr(() => readdirSync(`${classBlock(name)}/slaves`), []) : []
  },
}

function tryOr<T>(read: () => T, fallback: T): T {
  try {
    return read()
  } catch {
    return fallback
  }
}

/** This mount namespace's view: whole disk → its mounts and what the running system uses on it. */
export function readDiskUses(): Map<string, DiskUse> {
  return diskUses(readMountinfo(), tryOr(() => readFileSync('/proc/swaps', 'utf8'), ''), linuxSysfs)
}
