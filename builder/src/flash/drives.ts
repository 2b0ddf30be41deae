/**
 * The drives we could flash: drivelist's list, normalized, plus what it misses on Linux
 * (mounts of partitions behind LVM/LUKS, swap, drive serials), test drives (test-drives.ts:
 * where they may come from), and a watcher that reports hot-plugs. A drive that holds what
 * the running system uses (system-mounts.ts) is a system drive whatever drivelist says.
 */
import { EventEmitter } from 'node:events'
import { readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Drive as DrivelistDrive } from 'drivelist'
import { runCommand } from '../util/process'
import { readDiskUses } from './sysfs'
import { runningSystemUses, type DiskUse, type SystemUse } from './system-mounts'
import { testDrivesFromEnv, testDrivesFromRootFolder, type TestDriveEntry, type TestDriveSource } from './test-drives'

export { TEST_DRIVES_DIR, testDrivesFromEnv, type TestDriveSource } from './test-drives'

export interface Drive {
  /** What the user picks and we open: /dev/sdb, /dev/loop3, \\.\PhysicalDrive2, /dev/disk4 */
  device: string
  /** The raw path to write (macOS /dev/rdiskN; same as device elsewhere) */
  raw: string
  description: string
  /** Bytes; 0 if unknown */
  size: number
  removable: boolean
  /** drivelist's flag, or it holds what the running system uses (systemUses) */
  system: boolean
  /** System mounts and swap on it: never written, whatever the override */
  systemUses: SystemUse[]
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

export interface ListDrivesOptions {
  /** Where test drives come from: 'root-file' for the elevated writer, 'environment' (the default) for everyone else. */
  testDrives?: TestDriveSource
  /** The root-owned folder 'root-file' reads (TEST_DRIVES_DIR by default): a test's private one, so parallel tests never see each other's drives come and go. */
  testDrivesDir?: string
  /** Read for ORCHARD_TEST_DRIVES (environment) and %SystemDrive% (Windows) */
  env?: NodeJS.ProcessEnv
}

export async function listDrives({ testDrives = 'environment', testDrivesDir, env = process.env }: ListDrivesOptions = {}): Promise<Drive[]> {
  const uses: DiskTable = linux ? readDiskUses() : new Map()
  const entries = testDrives === 'root-file' ? await testDrivesFromRootFolder(testDrivesDir) : testDrivesFromEnv(env).map((device) => ({ device, origin: 'ORCHARD_TEST_DRIVES' }))
  // From root's own files a stale entry is skipped (never stops real cards); from the environment it is the caller's mistake.
  const tests = (await Promise.all(entries.map((entry) => testDrive(entry, uses).catch(skipOrThrow(testDrives))))).filter((test) => test !== null)
  const replaced = new Set(tests.flatMap((test) => [test.device, test.resolved]))
  const listed = (await drivelistList()).filter((drive) => !replaced.has(drive.device) && !isRamDisk(drive.device))
  const drives = [...(await Promise.all(listed.map((drive) => normalize(drive, uses, env)))), ...tests.map((test) => test.drive)]
  return drives.sort((a, b) => a.device.localeCompare(b.device, 'en', { numeric: true }))
}

const skipOrThrow = (source: TestDriveSource) => (error: Error) => {
  if (source === 'environment') throw error
  process.stderr.write(`orchard: ${error.message}: skipped\n`)
  return null
}

/** drivelist is CommonJS with a native part: loaded on first use, its exports may sit on `default`. */
async function drivelistList(): Promise<DrivelistDrive[]> {
  const module = await import('drivelist')
  const drivelist = 'list' in module ? module : (module as { default: typeof module }).default
  return drivelist.list()
}

// drivelist omits /dev/ram* but not zram (compressed RAM, usually swap): never an SD card.
const isRamDisk = (device: string) => /^\/dev\/zram\d+$/.test(device)

async function normalize(source: DrivelistDrive, uses: DiskTable, env: NodeJS.ProcessEnv, kernelName = path.posix.basename(source.device)): Promise<Drive> {
  // lsblk reports one mount point per partition and pseudo ones like [SWAP]; mountinfo has them all.
  const listedMounts = source.mountpoints.map((mount) => mount.path).filter((mount) => !/^\[.*\]$/.test(mount))
  const use = uses.get(kernelName)
  const systemUses = linux ? (use?.system ?? []) : runningSystemUses(listedMounts, process.platform, env.SystemDrive)
  return {
    device: source.device,
    raw: source.raw || source.device,
    description: source.description.trim() || source.device,
    size: source.size && Number.isFinite(source.size) && source.size > 0 ? source.size : 0,
    removable: source.isRemovable,
    system: source.isSystem || systemUses.length > 0,
    systemUses,
    readOnly: source.isReadOnly,
    virtual: Boolean(source.isVirtual),
    busType: (source.busType || 'UNKNOWN').toUpperCase(),
    mountpoints: [...new Set([...listedMounts, ...(use?.mountpoints ?? [])])].sort(),
    serial: linux ? await serialOf(kernelName, source.device) : null,
    source,
  }
}

async function testDrive({ device, origin }: TestDriveEntry, uses: DiskTable): Promise<{ device: string; resolved: string; drive: Drive }> {
  const stats = await stat(device).catch(() => null)
  if (!stats?.isBlockDevice()) throw new Error(`${origin} names ${device}, which is not a block device`)
  const resolved = await realpath(device)
  const name = path.basename(resolved)
  const sys = `/sys/class/block/${name}`
  const size = Number((await readFile(`${sys}/size`, 'utf8')).trim()) * 512
  const isReadOnly = (await readFile(`${sys}/ro`, 'utf8')).trim() === '1'
  const description = `Test drive ${device} (${origin})`
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
    mountpoints: (uses.get(name)?.mountpoints ?? []).map((mount) => ({ path: mount, label: null })),
    isReadOnly,
    // Only what it holds makes a test drive a system drive (normalize looks).
    isSystem: false,
    isVirtual: true,
    isRemovable: true,
    isCard: null,
    isSCSI: false,
    isUSB: false,
    isUAS: null,
    partitionTableType: null,
  }
  return { device, resolved, drive: await normalize(source, uses, process.env, name) }
}

/** Disk kernel name (sdb, loop3) → where it or anything built on it is mounted, and its system uses. */
type DiskTable = Map<string, DiskUse>

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

export interface DriveWatcherOptions extends ListDrivesOptions {
  /** Where drives come from; listDrives by default. Given the options on every poll, so ORCHARD_TEST_DRIVES may change while watching. */
  list?: (options: ListDrivesOptions) => Promise<Drive[]>
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
      const { list = listDrives, ...options } = this.options
      drives = await list(options)
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
