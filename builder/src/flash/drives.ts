/**
 * The drives we could flash: drivelist's list, normalized, plus what it misses on Linux
 * (mounts of partitions behind LVM/LUKS, drive serials), and a watcher that reports hot-plugs.
 *
 * ORCHARD_TEST_DRIVES — for tests only. A comma-separated list of block devices
 * (`/dev/loop3,/dev/loop4`) that listDrives adds (or, if drivelist lists them, replaces)
 * as removable, non-system drives with bus type VIRTUAL. drivelist hides loop devices, and
 * tests must flash loop devices, never real cards. Never set it anywhere else: it makes any
 * block device it names look like a harmless removable drive.
 */
import { EventEmitter } from 'node:events'
import { access, readFile, readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Drive as DrivelistDrive } from 'drivelist'
import { runCommand } from '../util/process'

export interface Drive {
  /** What the user picks and we open: /dev/sdb, /dev/loop3, \\.\PhysicalDrive2, /dev/disk4 */
  device: string
  /** The raw path to write (macOS /dev/rdiskN; same as device elsewhere) */
  raw: string
  description: string
  /** Bytes; 0 if unknown */
  size: number
  removable: boolean
  system: boolean
  readOnly: boolean
  virtual: boolean
  /** 'USB', 'SD', 'SCSI', 'NVME', 'VIRTUAL', 'UNKNOWN'… */
  busType: string
  /** Where the drive or any of its partitions is mounted, sorted */
  mountpoints: string[]
  /** Where known (Linux: sysfs, else udev's ID_SERIAL_SHORT); null otherwise */
  serial: string | null
  /** The original drivelist object (etcher-sdk's BlockDevice needs it). */
  source: DrivelistDrive
}

const linux = process.platform === 'linux'

/** The block devices named in ORCHARD_TEST_DRIVES (test-only; see the top of this file). */
export function testDrivesFromEnv(env = process.env): string[] {
  return (env.ORCHARD_TEST_DRIVES ?? '')
    .split(',')
    .map((device) => device.trim())
    .filter(Boolean)
}

export async function listDrives(env = process.env): Promise<Drive[]> {
  const mounts = await linuxMounts()
  const tests = await Promise.all(testDrivesFromEnv(env).map((device) => testDrive(device, mounts)))
  const replaced = new Set(tests.flatMap((test) => [test.device, test.resolved]))
  const listed = (await drivelistList()).filter((drive) => !replaced.has(drive.device) && !isRamDisk(drive.device))
  const drives = [...(await Promise.all(listed.map((drive) => normalize(drive, mounts)))), ...tests.map((test) => test.drive)]
  return drives.sort((a, b) => a.device.localeCompare(b.device, 'en', { numeric: true }))
}

/** drivelist is CommonJS with a native part: loaded on first use, its exports may sit on `default`. */
async function drivelistList(): Promise<DrivelistDrive[]> {
  const module = await import('drivelist')
  const drivelist = 'list' in module ? module : (module as { default: typeof module }).default
  return drivelist.list()
}

// drivelist omits /dev/ram* but not zram (compressed RAM, usually swap): never an SD card.
const isRamDisk = (device: string) => /^\/dev\/zram\d+$/.test(device)

async function normalize(source: DrivelistDrive, mounts: MountTable, kernelName = path.posix.basename(source.device)): Promise<Drive> {
  // lsblk reports one mount point per partition and pseudo ones like [SWAP]; /proc/self/mounts has them all.
  const listedMounts = source.mountpoints.map((mount) => mount.path).filter((mount) => !/^\[.*\]$/.test(mount))
  return {
    device: source.device,
    raw: source.raw || source.device,
    description: source.description.trim() || source.device,
    size: source.size && Number.isFinite(source.size) && source.size > 0 ? source.size : 0,
    removable: source.isRemovable,
    system: source.isSystem,
    readOnly: source.isReadOnly,
    virtual: Boolean(source.isVirtual),
    busType: (source.busType || 'UNKNOWN').toUpperCase(),
    mountpoints: [...new Set([...listedMounts, ...(mounts.get(kernelName) ?? [])])].sort(),
    serial: linux ? await serialOf(kernelName, source.device) : null,
    source,
  }
}

async function testDrive(device: string, mounts: MountTable): Promise<{ device: string; resolved: string; drive: Drive }> {
  const stats = await stat(device).catch(() => null)
  if (!stats?.isBlockDevice()) throw new Error(`ORCHARD_TEST_DRIVES names ${device}, which is not a block device`)
  const resolved = await realpath(device)
  const name = path.basename(resolved)
  const sys = `/sys/class/block/${name}`
  const size = Number((await readFile(`${sys}/size`, 'utf8')).trim()) * 512
  const isReadOnly = (await readFile(`${sys}/ro`, 'utf8')).trim() === '1'
  const description = `Test drive ${device} (ORCHARD_TEST_DRIVES)`
  const source: DrivelistDrive = {
    enumerator: 'ORCHARD_TEST_DRIVES',
    busType: 'VIRTUAL',
    busVersion: null,
    device,
    devicePath: null,
    raw: device,
    description,
    error: null,
    size,
    blockSize: 512,
    logicalBlockSize: 512,
    mountpoints: (mounts.get(name) ?? []).map((mount) => ({ path: mount, label: null })),
    isReadOnly,
    isSystem: false,
    isVirtual: true,
    isRemovable: true,
    isCard: null,
    isSCSI: false,
    isUSB: false,
    isUAS: null,
    partitionTableType: null,
  }
  return { device, resolved, drive: await normalize(source, mounts, name) }
}

/** Disk kernel name (sdb, loop3) → where it or anything built on it is mounted. */
type MountTable = Map<string, string[]>

async function linuxMounts(): Promise<MountTable> {
  const table: MountTable = new Map()
  if (!linux) return table
  const text = await readFile('/proc/self/mounts', 'utf8').catch(() => '')
  for (const line of text.split('\n')) {
    const [source, target] = line.split(' ')
    if (!source?.startsWith('/dev/') || !target) continue
    const name = path.basename(await realpath(source).catch(() => source))
    for (const disk of await disksUnder(name)) table.set(disk, [...(table.get(disk) ?? []), unescapeMountField(target)])
  }
  return table
}

/** The whole disks a block device lives on: a partition's parent; a device-mapper (LVM, LUKS) device's slaves' disks. */
async function disksUnder(name: string, depth = 0): Promise<string[]> {
  const sys = `/sys/class/block/${name}`
  const isPartition = await access(`${sys}/partition`).then(() => true, () => false)
  if (isPartition) return [path.basename(path.dirname(await realpath(sys)))]
  const slaves = depth < 8 ? await readdir(`${sys}/slaves`).catch(() => []) : []
  if (slaves.length === 0) return [name]
  return (await Promise.all(slaves.map((slave) => disksUnder(slave, depth + 1)))).flat()
}

// /proc/self/mounts writes space, tab, newline and backslash as octal escapes.
const unescapeMountField = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))

async function serialOf(name: string, device: string): Promise<string | null> {
  for (const file of [`/sys/block/${name}/device/serial`, `/sys/block/${name}/serial`]) {
    const serial = (await readFile(file, 'utf8').catch(() => '')).trim()
    if (serial) return serial
  }
  try {
    const { stdout } = await runCommand('udevadm', ['info', '--query=property', `--name=${device}`], { signal: AbortSignal.timeout(5000) })
    return /^ID_SERIAL_SHORT=(.+)$/m.exec(stdout)?.[1]?.trim() || null
  } catch {
    return null // no udev here, or it does not know the device
  }
}

/** What identifies a drive list for change detection: every normalized field, not drivelist's object. */
function signature(drives: Drive[]): string {
  return JSON.stringify(drives.map(({ source: _source, ...fields }) => fields))
}

export interface DriveWatcherOptions {
  /** Read on every poll, so ORCHARD_TEST_DRIVES may change while watching. */
  env?: NodeJS.ProcessEnv
  /** Where drives come from; listDrives by default. */
  list?: (env: NodeJS.ProcessEnv) => Promise<Drive[]>
}

interface DriveWatcherEvents {
  changed: [drives: Drive[]]
  error: [error: Error]
}

/**
 * Polls the drive list and emits 'changed' when a drive comes, goes or changes (the first
 * poll always emits). A failed poll emits 'error' — only when someone listens, so a lone
 * failure cannot crash the process — and polling goes on. Its timers never keep the process alive.
 */
export class DriveWatcher extends EventEmitter<DriveWatcherEvents> {
  #drives: Drive[] = []
  #signature: string | null = null
  #timer: NodeJS.Timeout | null = null
  // Bumped by start and stop, so a poll still running from an earlier start emits nothing.
  #generation = 0
  #running = false

  constructor(private readonly options: DriveWatcherOptions = {}) {
    super()
  }

  start(intervalMs = 2000): void {
    if (this.#running) return
    this.#running = true
    this.#signature = null
    const generation = ++this.#generation
    const tick = async () => {
      await this.#poll(generation)
      if (generation !== this.#generation) return
      this.#timer = setTimeout(() => void tick(), intervalMs)
      this.#timer.unref()
    }
    void tick()
  }

  stop(): void {
    this.#running = false
    this.#generation++
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  current(): Drive[] {
    return this.#drives
  }

  async #poll(generation: number): Promise<void> {
    let drives: Drive[]
    try {
      drives = await (this.options.list ?? listDrives)(this.options.env ?? process.env)
    } catch (error) {
      if (generation === this.#generation) this.#fail(error)
      return
    }
    const next = signature(drives)
    if (generation !== this.#generation || next === this.#signature) return
    this.#signature = next
    this.#drives = drives
    try {
      this.emit('changed', drives)
    } catch (error) {
      this.#fail(error) // a throwing listener must not stop the polling
    }
  }

  #fail(error: unknown): void {
    if (this.listenerCount('error') === 0) return
    try {
      this.emit('error', error instanceof Error ? error : new Error(String(error)))
    } catch {
      // the error listener threw too: nobody left to tell
    }
  }
}
