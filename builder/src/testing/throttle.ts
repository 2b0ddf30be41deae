/**
 * For tests and benches: slow cards simulated for real. A block device is held to an SD
 * card's speed with the cgroup-v1 block-I/O controller: `blkio.throttle.write_bps_device`
 * (and read_bps) on its `major:minor`, in a cgroup of our own. The kernel throttles the I/O a
 * process submits to that device while the process is in the group, so the group is joined
 * by whoever writes: this process (its threads, where libuv does the writes, move with it via
 * cgroup.procs) and every child started after joining (the elevated writer); another pid can
 * join too. Measured here: direct writes to a loop device held to the rate within 5 %.
 * Buffered writes are written back by the kernel's flusher in no group, so only direct I/O
 * (what the flash does: O_DIRECT) is held.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const BLKIO = '/sys/fs/cgroup/blkio'
const PREFIX = 'orchard-throttle-'

/** Why throttling cannot be done here, or null. */
export function throttleUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for the blkio cgroup'
  if (!existsSync(path.join(BLKIO, 'blkio.throttle.write_bps_device'))) return `no cgroup-v1 blkio throttle at ${BLKIO}`
  return null
}

export interface Rate {
  /** Bytes per second the device accepts from the group; 0 or absent: not held. */
  writeBps?: number
  readBps?: number
}

export interface ThrottleGroup {
  /** The cgroup's folder. */
  readonly dir: string
  /** Holds `device` (a block device path) to `rate` for the group's members; again changes it. */
  limit(device: string, rate: Rate): void
  /** Puts a process (and so its threads and later children) in the group; this process by default. */
  join(pid?: number): void
  /** Moves every member back to the root group, drops the rules and removes the group. */
  close(): void
}

/** A fresh throttle group; groups of dead test processes are removed first. */
export function createThrottleGroup(): ThrottleGroup {
  const problem = throttleUnavailableReason()
  if (problem) throw new Error(`Cannot throttle: ${problem}`)
  removeStaleGroups()
  const dir = path.join(BLKIO, `${PREFIX}${process.pid}-${Date.now().toString(36)}`)
  mkdirSync(dir)
  const limited = new Set<string>()
  return {
    dir,
    limit(device, rate) {
      const id = majorMinor(device)
      writeFileSync(path.join(dir, 'blkio.throttle.write_bps_device'), `${id} ${Math.round(rate.writeBps ?? 0)}`)
      writeFileSync(path.join(dir, 'blkio.throttle.read_bps_device'), `${id} ${Math.round(rate.readBps ?? 0)}`)
      limited.add(id)
    },
    join(pid = process.pid) {
      writeFileSync(path.join(dir, 'cgroup.procs'), String(pid))
    },
    close() {
      if (!existsSync(dir)) return
      emptyGroup(dir)
      for (const id of limited) {
        // A rule of 0 removes it; the device may be gone already.
        for (const file of ['blkio.throttle.write_bps_device', 'blkio.throttle.read_bps_device']) {
          try {
            writeFileSync(path.join(dir, file), `${id} 0`)
          } catch {
            // detached: nothing left to hold
          }
        }
      }
      rmdirSync(dir)
    },
  }
}

/** `7:3` for /dev/loop3, from the device node itself. */
export function majorMinor(device: string): string {
  const stats = statSync(device)
  if (!stats.isBlockDevice()) throw new Error(`${device} is not a block device`)
  // Linux's dev_t: major in bits 8-19 (and 32+), minor in bits 0-7 and 20-31.
  const major = Number((BigInt(stats.rdev) >> 8n) & 0xfffn)
  const minor = Number((BigInt(stats.rdev) & 0xffn) | ((BigInt(stats.rdev) >> 12n) & 0xfff00n))
  return `${major}:${minor}`
}

function emptyGroup(dir: string): void {
  const members = readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)
  for (const pid of members) {
    try {
      writeFileSync(path.join(BLKIO, 'cgroup.procs'), pid)
    } catch {
      // exited meanwhile
    }
  }
}

/** Groups left by killed test runs (their pid is gone). */
function removeStaleGroups(): void {
  for (const name of readdirSync(BLKIO).filter((n) => n.startsWith(PREFIX))) {
    const pid = Number(name.slice(PREFIX.length).split('-')[0])
    if (existsSync(`/proc/${pid}`)) continue
    const dir = path.join(BLKIO, name)
    try {
      emptyGroup(dir)
      rmdirSync(dir)
    } catch {
      // still busy: the next run tries again
    }
  }
}
