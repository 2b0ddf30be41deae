/**
 * What apt, dpkg and their maintainer scripts leave in a root fs that records the build
 * itself (when, which inodes) or is random, so two full builds would differ without
 * anything a device uses differing (docs/reproducible.md). Each is removed or emptied the
 * way pi-gen's export-image finalise and reproducible-builds.org's advice for images do;
 * everything is regenerated on the device when needed.
 */
import { lstat, readdir, readFile, rm, truncate } from 'node:fs/promises'
import path from 'node:path'

interface Rule {
  /** A path in the root fs; `*` matches within one name. */
  pattern: string
  action: 'remove' | 'empty'
  why: string
}

export const VOLATILE_RULES: Rule[] = [
  { pattern: '/var/log/**', action: 'empty', why: 'logs of the build (dpkg.log, apt/history.log, alternatives.log …) carry wall-clock times; emptied, not removed, so their owners and modes stay' },
  { pattern: '/var/cache/ldconfig/aux-cache', action: 'remove', why: "ldconfig's cache of inode numbers and change times of the libraries it read; rebuilt by the next ldconfig" },
  { pattern: '/var/cache/debconf/*-old', action: 'remove', why: "debconf's copy of its database before the build's last change" },
  { pattern: '/var/lib/dpkg/*-old', action: 'remove', why: "dpkg's copies of its status and available files before the build's last change" },
  { pattern: '/var/cache/apt/*.bin', action: 'remove', why: "apt's binary package cache, rebuilt from the lists on the next apt run" },
  { pattern: '/var/lib/dbus/machine-id', action: 'remove', why: 'a random id written when dbus is installed (Debian makes it a link to /etc/machine-id, which stays)' },
  { pattern: '/etc/machine-id', action: 'empty', why: "a random id written when systemd is installed; empty means systemd makes one at the device's first boot" },
]

/** Applies VOLATILE_RULES to the root fs in `rootDir`; returns the paths it changed, for the build log. */
export async function normalizeVolatileFiles(rootDir: string): Promise<string[]> {
  const changed: string[] = []
  for (const rule of VOLATILE_RULES) {
    for (const file of await matches(rootDir, rule.pattern)) {
      const full = path.join(rootDir, file)
      const stats = await lstat(full)
      // A link (dbus's machine-id in Debian) is not a copy of anything random.
      if (!stats.isFile()) continue
      if (rule.action === 'remove') await rm(full)
      else if (stats.size > 0 && !(file === '/etc/machine-id' && (await isUninitialized(full)))) await truncate(full, 0)
      else continue
      changed.push(file)
    }
  }
  return changed
}

/** systemd's own "not yet set" marker is as good as empty. */
async function isUninitialized(file: string): Promise<boolean> {
  return (await readFile(file, 'utf8')) === 'uninitialized\n'
}

/** Root-fs paths matching `pattern`: `*` within one name, a trailing `/**` for every file below. */
async function matches(rootDir: string, pattern: string): Promise<string[]> {
  if (pattern.endsWith('/**')) return filesBelow(rootDir, pattern.slice(0, -3))
  const dir = path.posix.dirname(pattern)
  const name = path.posix.basename(pattern)
  if (!name.includes('*')) return (await exists(path.join(rootDir, pattern))) ? [pattern] : []
  const regex = new RegExp(`^${name.split('*').map(escape).join('[^/]*')}$`)
  const names = await readdir(path.join(rootDir, dir)).catch(() => [] as string[])
  return names.filter((entry) => regex.test(entry)).sort().map((entry) => path.posix.join(dir, entry))
}

async function filesBelow(rootDir: string, dir: string): Promise<string[]> {
  const names = await readdir(path.join(rootDir, dir), { recursive: true }).catch(() => [] as string[])
  return names.sort().map((entry) => path.posix.join(dir, entry.split(path.sep).join('/')))
}

const exists = (file: string) => lstat(file).then(() => true, () => false)
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
