/**
 * An arm64 kernel, initramfs and device trees for booting test images in QEMU, made on the host
 * without running any ARM code: Debian's kernel and busybox-static packages are fetched with apt
 * (a private apt state in the cache, so the host's own apt setup and dpkg architectures stay as they
 * are), unpacked with dpkg-deb, and the initramfs is a cpio archive written here. No depmod or
 * mkinitramfs: module dependencies come from each module's .modinfo and /init insmods them in order.
 *
 * The kit is cached under <cache>/boot/, and the versions picked first are pinned (arm64.json) so later
 * runs need no network and keep the same kernel; `refresh` picks the newest again.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import { cacheDir } from '../../../util/paths'
import { removeStaleTemps, tempName } from '../../../util/temp'
import { runTool } from './host-tools'
import { buildInitramfs, INITRAMFS_MODULES, INITRAMFS_VERSION } from './initramfs'
import { resolveModules } from './modules'
import { ensurePackages, kitRoot, readPin, type KitInputs, type Pin } from './packages'

export interface BootKit {
  arch: 'arm64'
  /** Debian package and version of the kernel, e.g. linux-image-6.1.0-56-arm64 6.1.192-2. */
  kernelPackage: string
  kernelVersion: string
  /** `uname -r` of the kernel: 6.1.0-56-arm64. */
  kernelRelease: string
  busyboxVersion: string
  initramfsVersion: number
  dir: string
  /** The uncompressed arm64 Image (what a Pi loads as kernel8.img). */
  kernel: string
  /** gzip'd cpio (newc). */
  initramfs: string
  /** Folder of the Raspberry Pi device trees (Debian's broadcom/*.dtb). */
  dtbDir: string
  /** Modules in the initramfs, in load order. */
  modules: string[]
}

export interface BootKitOptions {
  cacheDir?: string
  onProgress?: (line: string) => void
  /** Ignore the pinned versions and take the newest the archive has. */
  refresh?: boolean
}

const safe = (text: string): string => text.replace(/[^A-Za-z0-9.+-]/g, '_')
const kitDir = (cache: string, pin: Pin): string =>
  path.join(kitRoot(cache), `arm64-${safe(pin.kernelVersion)}-busybox-${safe(pin.busyboxVersion)}-i${INITRAMFS_VERSION}`)

async function buildKit(cache: string, { pin, kernelDeb, busyboxDeb }: KitInputs, target: string, progress: (line: string) => void) {
  // An unpacked kernel is 300 MB: a killed run's is removed here.
  await removeStaleTemps(kitRoot(cache), '.tmp-kit-')
  const temp = path.join(kitRoot(cache), tempName('.tmp-kit-'))
  try {
    const unpacked = path.join(temp, 'unpacked')
    const out = path.join(temp, 'kit')
    await fsp.mkdir(path.join(out, 'dtbs'), { recursive: true })
    progress(`unpacking ${path.basename(kernelDeb)} and ${path.basename(busyboxDeb)}`)
    await runTool('dpkg-deb', ['-x', kernelDeb, unpacked])
    await runTool('dpkg-deb', ['-x', busyboxDeb, unpacked])
    const releases = await fsp.readdir(path.join(unpacked, 'lib/modules'))
    const kernelRelease = releases[0]
    if (!kernelRelease || releases.length !== 1) throw new Error(`${path.basename(kernelDeb)} holds ${releases.length} module trees`)
    await fsp.copyFile(path.join(unpacked, 'boot', `vmlinuz-${kernelRelease}`), path.join(out, 'kernel8.img'))
    const broadcom = path.join(unpacked, 'usr/lib', `linux-image-${kernelRelease}`, 'broadcom')
    for (const name of (await fsp.readdir(broadcom)).filter((n) => n.endsWith('.dtb'))) {
      await fsp.copyFile(path.join(broadcom, name), path.join(out, 'dtbs', name))
    }
    const modules = await resolveModules(path.join(unpacked, 'lib/modules', kernelRelease), INITRAMFS_MODULES)
    progress(`initramfs: busybox ${pin.busyboxVersion}, ${modules.length} modules (${modules.map((m) => m.name).join(' ')})`)
    await fsp.writeFile(path.join(out, 'initramfs8'), await buildInitramfs(path.join(unpacked, 'bin/busybox'), modules))
    const info = { ...pin, kernelRelease, initramfsVersion: INITRAMFS_VERSION, modules: modules.map((m) => m.name) }
    await fsp.writeFile(path.join(out, 'kit.json'), `${JSON.stringify(info, null, 2)}\n`)
    await fsp.rename(out, target).catch((error: NodeJS.ErrnoException) => {
      // Another process made the same kit meanwhile: theirs is as good.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error
    })
  } finally {
    await fsp.rm(temp, { recursive: true, force: true })
  }
}

async function readKit(dir: string): Promise<BootKit | null> {
  let info: Pin & { kernelRelease: string; initramfsVersion: number; modules: string[] }
  try {
    info = JSON.parse(await fsp.readFile(path.join(dir, 'kit.json'), 'utf8')) as typeof info
  } catch {
    return null
  }
  return {
    arch: 'arm64', ...info, dir,
    kernel: path.join(dir, 'kernel8.img'), initramfs: path.join(dir, 'initramfs8'), dtbDir: path.join(dir, 'dtbs'),
  }
}

/** The cached kit for the pinned versions, made (and fetched) when missing. */
const inFlight = new Map<string, Promise<BootKit>>()

/** One build per cache at a time in this process: callers that ask while it runs share it (its apt lists are one folder). */
export function ensureBootKit(options: BootKitOptions = {}): Promise<BootKit> {
  const cache = options.cacheDir ?? cacheDir()
  const key = `${cache}\0${options.refresh ? 'refresh' : ''}`
  let pending = inFlight.get(key)
  if (!pending) {
    pending = ensureBootKitNow(cache, options)
    inFlight.set(key, pending)
    pending.finally(() => inFlight.delete(key)).catch(() => undefined)
  }
  return pending
}

async function ensureBootKitNow(cache: string, options: BootKitOptions): Promise<BootKit> {
  if (!options.refresh) {
    const pin = await readPin(cache)
    const kit = pin && (await readKit(kitDir(cache, pin)))
    if (kit) return kit
  }
  const inputs = await ensurePackages(cache, options)
  const dir = kitDir(cache, inputs.pin)
  if (!(await readKit(dir))) await buildKit(cache, inputs, dir, options.onProgress ?? (() => {}))
  const kit = await readKit(dir)
  if (!kit) throw new Error(`the boot kit in ${dir} is incomplete`)
  return kit
}
