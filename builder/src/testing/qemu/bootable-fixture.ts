/**
 * The test fixture made bootable: Debian's arm64 kernel (kernel8.img), our initramfs (initramfs8) and the
 * Raspberry Pi device trees on its FAT boot partition, with a config.txt a Pi would also read and a
 * cmdline.txt on the first PL011 UART. The root fs is the fixture's, unchanged: with the vfat and ext4
 * modules loaded by the initramfs it reaches multi-user.target as it is. Cached per content key.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { canonicalJson } from '../../util/hash'
import { withFat, type FatFs } from '../../image/fat'
import { withImage } from '../../image/open'
import { fixtureKey } from '../../fixture/cache'
import { ensureFixture } from '../../fixture/fixture'
import { ensureReleaseFixture, releaseFixtureKey } from '../../fixture/release-fixture'
import type { ReleaseFixtureName } from '../../fixture/release-specs'
import { cacheDir } from '../../util/paths'
import { removeStaleTemps, tempName } from '../../util/temp'
import { ensureBootKit, type BootKit } from './boot-kit/kit'

export type BootableArch = 'arm64'

export interface BootableFixtureOptions {
  cacheDir?: string
  onProgress?: (line: string) => void
}

/** Bump on any change to what this module writes, so cached images stop matching. */
export const BOOTABLE_VERSION = 1

/** What the Pi firmware loads (and what the QEMU harness reads back from the image). */
export const KERNEL_FILE = 'kernel8.img'
export const INITRAMFS_FILE = 'initramfs8'
export const RPI3B_DTB = 'bcm2837-rpi-3-b.dtb'

/** Appended to the fixture's config.txt, under its closing [all]; settings it already has are left out. */
export const CONFIG_LINES = [
  '# Orchard bootable fixture: Debian arm64 kernel and a small initramfs (no Raspberry Pi firmware)',
  'arm_64bit=1',
  `kernel=${KERNEL_FILE}`,
  `initramfs ${INITRAMFS_FILE} followkernel`,
  'enable_uart=1',
]

/** The fixture's cmdline.txt with its consoles (serial0, tty1: names the Pi firmware rewrites) replaced by the PL011. */
export function bootableCmdline(fixtureCmdline: string): string {
  const args = fixtureCmdline.trim().split(/\s+/).filter((arg) => arg && !arg.startsWith('console='))
  return `${['console=ttyAMA0,115200', ...args].join(' ')}\n`
}

function bootableKey(arch: BootableArch, kit: BootKit): string {
  const recipe = {
    version: BOOTABLE_VERSION, fixture: fixtureKey(arch), kernelPackage: kit.kernelPackage, kernelVersion: kit.kernelVersion,
    busybox: kit.busyboxVersion, initramfs: kit.initramfsVersion,
    files: { config: CONFIG_LINES, kernel: KERNEL_FILE, initramfs: INITRAMFS_FILE },
  }
  return createHash('sha256').update(canonicalJson(recipe)).digest('hex').slice(0, 16)
}

async function writeBootFiles(fat: FatFs, kit: BootKit): Promise<void> {
  await fat.writeFile(`/${KERNEL_FILE}`, await fsp.readFile(kit.kernel))
  await fat.writeFile(`/${INITRAMFS_FILE}`, await fsp.readFile(kit.initramfs))
  // All the Pi device trees, at the root where the firmware looks for the board's own.
  for (const name of await fsp.readdir(kit.dtbDir)) await fat.writeFile(`/${name}`, await fsp.readFile(path.join(kit.dtbDir, name)))
  const config = (await fat.readFile('/config.txt')).toString('utf8')
  const present = new Set(config.split(/\r?\n/).map((line) => line.trim()))
  const added = CONFIG_LINES.filter((line) => !present.has(line))
  await fat.writeFile('/config.txt', `${config.replace(/\n*$/, '\n')}${added.join('\n')}\n`)
  await fat.writeFile('/cmdline.txt', bootableCmdline((await fat.readFile('/cmdline.txt')).toString('utf8')))
}

const inFlight = new Map<string, Promise<string>>()

/**
 * The bootable fixture image in the cache (`<cache>/fixtures/bootable-arm64-<key>.img`), made when
 * missing. The path is shared by every caller: copy it before writing to it (booting writes to it).
 */
export async function bootableFixture(arch: BootableArch, options: BootableFixtureOptions = {}): Promise<string> {
  if (arch !== 'arm64') throw new Error(`no bootable fixture for ${String(arch)}: only arm64`)
  const cache = options.cacheDir ?? cacheDir()
  const progress = options.onProgress ?? (() => {})
  const kit = await ensureBootKit({ cacheDir: cache, onProgress: progress })
  const target = path.join(cache, 'fixtures', `bootable-${arch}-${bootableKey(arch, kit)}.img`)
  if (fs.existsSync(target)) return target
  let pending = inFlight.get(target)
  if (!pending) {
    pending = build(arch, kit, target, cache, progress)
    inFlight.set(target, pending)
    pending.finally(() => inFlight.delete(target)).catch(() => undefined)
  }
  return pending
}

async function build(arch: BootableArch, kit: BootKit, target: string, cache: string, progress: (line: string) => void) {
  const fixture = await ensureFixture({ arch, cacheDir: cache, onProgress: progress })
  return makeBootable(fixture.path, kit, target, progress)
}

/**
 * A release fixture (fixture/release-specs.ts) made bootable the same way: the arm64 kernel boots
 * the armhf Bullseye userland too (an AArch64 CPU runs 32-bit ARM programs at EL0).
 */
export async function bootableReleaseFixture(name: ReleaseFixtureName, options: BootableFixtureOptions = {}): Promise<string> {
  const cache = options.cacheDir ?? cacheDir()
  const progress = options.onProgress ?? (() => {})
  const kit = await ensureBootKit({ cacheDir: cache, onProgress: progress })
  const recipe = {
    version: BOOTABLE_VERSION, release: releaseFixtureKey(name), kernelPackage: kit.kernelPackage, kernelVersion: kit.kernelVersion,
    busybox: kit.busyboxVersion, initramfs: kit.initramfsVersion, files: { config: CONFIG_LINES, kernel: KERNEL_FILE, initramfs: INITRAMFS_FILE },
  }
  const key = createHash('sha256').update(canonicalJson(recipe)).digest('hex').slice(0, 16)
  const target = path.join(cache, 'fixtures', `bootable-${name}-${key}.img`)
  if (fs.existsSync(target)) return target
  let pending = inFlight.get(target)
  if (!pending) {
    pending = ensureReleaseFixture(name, { cacheDir: cache, onProgress: progress }).then((fixture) => makeBootable(fixture.path, kit, target, progress))
    inFlight.set(target, pending)
    pending.finally(() => inFlight.delete(target)).catch(() => undefined)
  }
  return pending
}

async function makeBootable(source: string, kit: BootKit, target: string, progress: (line: string) => void): Promise<string> {
  const dir = path.dirname(target)
  await removeStaleTemps(dir, '.tmp-bootable-')
  const temp = path.join(dir, tempName(`.tmp-bootable-`))
  const started = Date.now()
  try {
    await fsp.copyFile(source, temp, fs.constants.COPYFILE_FICLONE)
    progress(`writing ${KERNEL_FILE} (${kit.kernelPackage} ${kit.kernelVersion}), ${INITRAMFS_FILE} and device trees to bootfs`)
    await withImage(temp, 'write', (image) => withFat(image.disk, image.boot, (fat) => writeBootFiles(fat, kit)))
    await fsp.rename(temp, target)
    progress(`built ${path.basename(target)} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return target
  } finally {
    await fsp.rm(temp, { force: true })
  }
}
