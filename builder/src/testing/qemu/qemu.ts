/**
 * Boots a Raspberry Pi image in QEMU (arm64, TCG) from its own boot partition: the kernel, initramfs,
 * device tree and cmdline.txt the Pi firmware would use are read with our FAT module and handed to
 * QEMU's direct kernel boot (QEMU runs no Pi firmware). The serial console is the log.
 *
 * The image file itself is the guest's disk, so what the guest wrote (startup-scripts logs, moved
 * scripts) can be inspected afterwards: booting changes it. Copy it first when that matters.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { withFat, type FatFs } from '../../image/fat'
import { withImage } from '../../image/open'
import { splitLines } from '../../util/lines'
import { CommandError, startCommand } from '../../util/process'
import { findExecutable } from '../../util/tools'

export type BootMachine = 'virt' | 'raspi3b'

export interface BootOptions {
  /** Raw disk image; written by the guest. For raspi3b it is first padded with zeros to a power of two (QEMU's SD card needs it). */
  image: string
  /** virt (default: virtio disk, 2 CPUs unless `cpus` says, fastest) or raspi3b (the Pi 3's SoC and SD controller, 4 CPUs). */
  machine?: BootMachine
  /** Default 6 minutes; QEMU is killed then (`timedOut`). */
  timeoutMs?: number
  /** Where the console goes as it arrives (escape codes removed). */
  logFile?: string
  onLine?: (line: string) => void
  /** virt only: the CPU (default cortex-a53; the release matrix uses cortex-a72, as a Pi 4). */
  cpu?: string
  /**
   * virt only: how many CPUs (default 2, one per host core here). Guests that boot side by side
   * take one each: more emulated CPUs than host cores lose time to each other (the release
   * matrix, two guests at a time: 387 s with one each, about 440 s with two).
   */
  cpus?: number
  /**
   * virt only: a virtio network card on QEMU's user network with `restrict=on` (the guest reaches
   * nothing outside), named eth0 (`net.ifnames=0`) as on a Pi. Default: no network card.
   */
  network?: boolean
  /** Words appended to the kernel command line (e.g. `systemd.mask=` for units a test does not need). */
  extraCmdline?: readonly string[]
}

export type QemuExtras = Pick<BootOptions, 'cpu' | 'cpus' | 'network' | 'extraCmdline'>

export interface BootResult {
  /** The serial console, escape codes removed; QEMU's own messages as `[qemu] …` lines. */
  log: string
  /** The kernel powered off (`reboot: Power down`). */
  poweredOff: boolean
  /** The guest rebooted, which -no-reboot turns into QEMU exiting. */
  rebooted: boolean
  timedOut: boolean
  /** QEMU's exit code (null when killed). */
  exitCode: number | null
  seconds: number
}

export const DEFAULT_BOOT_TIMEOUT_MS = 6 * 60_000
const QEMU = 'qemu-system-aarch64'
const DEFAULT_KERNEL = 'kernel8.img'
const DEFAULT_DTB = 'bcm2837-rpi-3-b.dtb'
// After `reboot: Power down` QEMU normally exits at once; a machine without a power-off device halts instead.
const POWER_DOWN_GRACE_MS = 10_000

/** Why images cannot be booted here, or null. */
export function bootEnvironmentProblem(): string | null {
  return findExecutable(QEMU) ? null : `${QEMU} is not installed (Debian package qemu-system-arm)`
}

export interface BootFiles {
  kernel: string
  initramfs: string | null
  dtb: string
  cmdline: string
}

/**
 * The names config.txt gives for kernel (`kernel=`), initramfs (`initramfs NAME followkernel`), device tree
 * (`device_tree=`, else bcm2837-rpi-3-b.dtb) and command line file (`cmdline=`), as a Pi 3 reads it: the
 * last setting wins, and lines under a filter other than [all] or [pi3] are left out.
 */
export function bootConfig(config: string): { kernel: string; initramfs: string | null; dtb: string; cmdline: string } {
  const settings: string[] = []
  let applies = true
  for (const raw of splitLines(config)) {
    const line = raw.replace(/#.*/, '').trim()
    const filter = /^\[(.*)\]$/.exec(line)?.[1]
    if (filter !== undefined) applies = filter === 'all' || filter === 'pi3'
    else if (applies && line) settings.push(line)
  }
  const last = (test: RegExp): string | undefined => settings.filter((line) => test.test(line)).pop()
  const value = (key: string): string | undefined => last(new RegExp(`^${key}=`))?.slice(key.length + 1).trim()
  const kernel = value('kernel') ?? DEFAULT_KERNEL
  // auto_initramfs=1 (Raspberry Pi OS): kernel8.img comes with initramfs8.
  const auto = value('auto_initramfs') === '1' ? kernel.replace(/^kernel/, 'initramfs').replace(/\.img$/, '') : null
  const initramfs = last(/^initramfs\s/)?.split(/\s+/)[1] ?? auto
  return { kernel, initramfs, dtb: value('device_tree') ?? DEFAULT_DTB, cmdline: value('cmdline') ?? 'cmdline.txt' }
}

/**
 * The Pi's command line for QEMU: the console on the PL011 (ttyAMA0 on both machines), a device-name
 * `root=` renamed for the machine's disk (PARTUUID=, UUID=, LABEL= stay: they name the same partition
 * under QEMU), and `panic=-1` so a boot that cannot go on reboots, which ends QEMU.
 */
export function qemuCmdline(cmdline: string, machine: BootMachine): string {
  const args = cmdline.trim().split(/\s+/).filter((arg) => arg && !arg.startsWith('console='))
  const renamed = args.map((arg) => {
    const partition = /^root=\/dev\/(?:mmcblk0p|vda)(\d+)$/.exec(arg)?.[1]
    if (!partition) return arg
    return machine === 'virt' ? `root=/dev/vda${partition}` : `root=/dev/mmcblk0p${partition}`
  })
  if (!renamed.some((arg) => arg.startsWith('panic='))) renamed.push('panic=-1')
  return ['console=ttyAMA0,115200', ...renamed].join(' ')
}

async function readOrFail(fat: FatFs, name: string, what: string): Promise<Buffer> {
  if (!(await fat.exists(`/${name}`))) throw new Error(`the boot partition has no ${name} (${what})`)
  return fat.readFile(`/${name}`)
}

/** Copies kernel, initramfs and device tree out of the image's boot partition into `dir`. */
export async function extractBootFiles(image: string, dir: string): Promise<BootFiles> {
  return withImage(image, 'read', (disk) =>
    withFat(disk.disk, disk.boot, async (fat) => {
      const config = (await fat.exists('/config.txt')) ? (await fat.readFile('/config.txt')).toString('utf8') : ''
      const names = bootConfig(config)
      const out = (name: string): string => path.join(dir, name.replace(/[/\\]/g, '_'))
      const files: BootFiles = { kernel: out(names.kernel), initramfs: null, dtb: out(names.dtb), cmdline: '' }
      await fsp.writeFile(files.kernel, await readOrFail(fat, names.kernel, 'the kernel'))
      if (names.initramfs) {
        files.initramfs = out(names.initramfs)
        await fsp.writeFile(files.initramfs, await readOrFail(fat, names.initramfs, 'the initramfs named in config.txt'))
      }
      if (await fat.exists(`/${names.dtb}`)) await fsp.writeFile(files.dtb, await fat.readFile(`/${names.dtb}`))
      files.cmdline = (await readOrFail(fat, names.cmdline, 'the kernel command line')).toString('utf8')
      return files
    }),
  )
}

/** The next power of two at or above `size`. */
export function nextPowerOfTwo(size: number): number {
  let power = 1
  while (power < size) power *= 2
  return power
}

export function qemuArgs(machine: BootMachine, image: string, files: BootFiles, extras: QemuExtras = {}): string[] {
  const initrd = files.initramfs ? ['-initrd', files.initramfs] : []
  // Under emulation on a busy machine udev's coldplug can outlast systemd's 90 s wait for the boot
  // partition's device, and the boot ends in emergency mode: wait longer (systemd 250 and later).
  const words = ['systemd.default_device_timeout_sec=600', ...(extras.network ? ['net.ifnames=0'] : []), ...(extras.extraCmdline ?? [])]
  const common = ['-kernel', files.kernel, ...initrd, '-append', [qemuCmdline(files.cmdline, machine), ...words].join(' ')]
  const console = ['-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot']
  if (machine === 'raspi3b') {
    // The Pi 3 always has 4 CPUs; until Linux starts them, 3 spin in QEMU's boot stub. With a host thread each
    // (multi-threaded TCG) on fewer host cores they starve the boot CPU: measured 52 s to power-off on 2 cores, 31 s with one thread.
    const threads = os.availableParallelism() < 4 ? ['-accel', 'tcg,thread=single'] : []
    return ['-M', 'raspi3b', '-m', '1G', ...threads, ...common, '-dtb', files.dtb, '-drive', `file=${image},if=sd,format=raw`,
      ...console]
  }
  return [
    '-M', 'virt', '-cpu', extras.cpu ?? 'cortex-a53', '-smp', String(extras.cpus ?? 2), '-m', '1024', ...common,
    '-drive', `file=${image},format=raw,if=none,id=hd`, '-device', 'virtio-blk-device,drive=hd',
    ...(extras.network ? ['-netdev', 'user,id=net0,restrict=on', '-device', 'virtio-net-device,netdev=net0'] : ['-nic', 'none']), ...console,
  ]
}

// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]|[\x00-\x08\x0b-\x1f\x7f]/g

/** Boots `image` until the guest powers off or reboots, or the timeout; see BootOptions for what it changes. */
export async function bootImage(options: BootOptions): Promise<BootResult> {
  const machine = options.machine ?? 'virt'
  const qemu = findExecutable(QEMU)
  if (!qemu) throw new Error(bootEnvironmentProblem() ?? `${QEMU} missing`)
  const image = path.resolve(options.image)
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'orchard-boot-'))
  try {
    const files = await extractBootFiles(image, dir)
    if (machine === 'raspi3b') {
      if (!fs.existsSync(files.dtb)) throw new Error(`the boot partition has no ${path.basename(files.dtb)} (the raspi3b device tree)`)
      const { size } = await fsp.stat(image)
      if (size !== nextPowerOfTwo(size)) await fsp.truncate(image, nextPowerOfTwo(size))
    }
    return await runQemu(qemu, qemuArgs(machine, image, files, options), options)
  } finally {
    await fsp.rm(dir, { recursive: true, force: true })
  }
}

async function runQemu(qemu: string, args: string[], options: BootOptions): Promise<BootResult> {
  const started = Date.now()
  const lines: string[] = []
  // Opened before QEMU starts, so a bad path fails the call instead of crashing the process later.
  const logFile = options.logFile ? fs.createWriteStream('', { fd: fs.openSync(options.logFile, 'w') }) : null
  let poweredOff = false
  let rebooted = false
  let timedOut = false
  let graceTimer: NodeJS.Timeout | undefined
  const onLine = (raw: string, prefix: string): void => {
    const line = prefix + raw.replace(ESCAPES, '').trimEnd()
    lines.push(line)
    logFile?.write(`${line}\n`)
    options.onLine?.(line)
    if (prefix) return
    if (/reboot: Power down/.test(line)) poweredOff = true
    if (/reboot: Restarting system/.test(line)) rebooted = true
    if ((poweredOff || rebooted) && !graceTimer) graceTimer = setTimeout(stop, POWER_DOWN_GRACE_MS)
  }
  const { child, done } = startCommand(qemu, args, { onLine: (line, stream) => onLine(line, stream === 'stderr' ? '[qemu] ' : '') })
  function stop(): void {
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
  }
  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, options.timeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS)
  let exitCode: number | null
  try {
    // A powered-off or stopped guest is a result, whatever QEMU's exit says.
    exitCode = await done.then(
      () => 0,
      (error: unknown) => {
        if (!(error instanceof CommandError) || error.cause) throw new Error(`cannot run ${QEMU}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`)
        return error.exitCode
      },
    )
  } finally {
    clearTimeout(timer)
    clearTimeout(graceTimer)
    await new Promise<void>((resolve) => (logFile ? logFile.end(() => resolve()) : resolve()))
  }
  return { log: lines.join('\n'), poweredOff, rebooted, timedOut, exitCode, seconds: (Date.now() - started) / 1000 }
}
