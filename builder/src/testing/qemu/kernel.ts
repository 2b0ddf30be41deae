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
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { cacheDir } from '../../util/paths'
import { findExecutable, processAlive } from '../../util/tools'

/** Bump on any change to the initramfs (its /init, modules, layout), so cached kits and images stop matching. */
export const INITRAMFS_VERSION = 1

/** The fixture's suite: kernel and userland come from the same release. */
const SUITE = 'bookworm'
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'
const SOURCES = [
  `deb [signed-by=${KEYRING}] http://deb.debian.org/debian ${SUITE} main`,
  `deb [signed-by=${KEYRING}] http://deb.debian.org/debian ${SUITE}-updates main`,
  `deb [signed-by=${KEYRING}] http://deb.debian.org/debian-security ${SUITE}-security main`,
]
const KERNEL_META = 'linux-image-arm64'
const BUSYBOX = 'busybox-static'

/**
 * Modules /init loads, in this order after their dependencies. Built-in ones (modules.builtin) are
 * skipped. Nothing is loaded from the root fs (it has no /lib/modules), so what systemd mounts later
 * (the FAT boot partition) is loaded here too: modules stay loaded across switch_root.
 */
export const INITRAMFS_MODULES: readonly string[] = [
  // -M virt: virtio disks (virtio-blk-device on MMIO, or virtio-blk-pci)
  'virtio_mmio', 'virtio_pci', 'virtio_blk',
  // -M raspi3b and real Pis: the SD card sits on sdhost (bcm2835) or the Arasan sdhci (sdhci-iproc)
  'mmc_block', 'sdhci_iproc', 'bcm2835',
  // the root fs; ext4 asks for crc32c by name
  'crc32c_generic', 'ext4',
  // /boot/firmware: vfat with the kernel's default codepage 437 and iocharset ascii (utf8 when asked)
  'vfat', 'nls_cp437', 'nls_ascii', 'nls_utf8',
  // systemd's automounts (binfmt_misc)
  'autofs4',
  // the Pi's power-off and reboot go through its watchdog
  'bcm2835_wdt',
]

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

interface Pin {
  kernelPackage: string
  kernelVersion: string
  busyboxVersion: string
}

/** The versions and their cached .debs. */
interface KitInputs {
  pin: Pin
  kernelDeb: string
  busyboxDeb: string
}

const TOOLS: Record<string, string> = { 'apt-get': 'apt', 'apt-cache': 'apt', 'dpkg-deb': 'dpkg' }

/** Why a boot kit cannot be made here (unless already cached), or null. */
export function bootKitProblem(): string | null {
  for (const [name, pkg] of Object.entries(TOOLS)) if (!findExecutable(name)) return `${name} not installed (Debian package ${pkg})`
  if (!fs.existsSync(KEYRING)) return `${KEYRING} missing (Debian package debian-archive-keyring)`
  return null
}

const execFileAsync = promisify(execFile)

/** Runs `file args`; rejects with `label` (the command as a person would type it) and the end of stderr. */
async function run(file: string, args: string[], options: { cwd?: string; label?: string } = {}): Promise<string> {
  const found = findExecutable(file)
  if (!found) throw new Error(`${file} is not installed (Debian package ${TOOLS[file] ?? file})`)
  try {
    const { stdout } = await execFileAsync(found, args, { cwd: options.cwd, maxBuffer: 256 << 20, encoding: 'utf8' })
    return stdout
  } catch (error) {
    const { stderr } = error as { stderr?: string }
    const tail = (stderr ?? '').trimEnd().split('\n').slice(-15).join('\n')
    throw new Error(`${options.label ?? `${file} ${args.join(' ')}`} failed${tail ? `:\n${tail}` : ''}`, { cause: error })
  }
}

// ---------------------------------------------------------------------------------------------
// apt with its own state: arm64 package lists for the suite, whatever the host's apt knows

class PrivateApt {
  constructor(private readonly dir: string) {}

  private options(): string[] {
    const o = (key: string, value: string): string[] => ['-o', `${key}=${value}`]
    return [
      '-q',
      ...o('APT::Architecture', 'arm64'),
      ...o('APT::Architectures', 'arm64'),
      ...o('Dir::State::Lists', path.join(this.dir, 'lists')),
      ...o('Dir::State::status', path.join(this.dir, 'status')),
      ...o('Dir::Cache', path.join(this.dir, 'cache')),
      ...o('Dir::Etc::SourceList', path.join(this.dir, 'sources.list')),
      ...o('Dir::Etc::SourceParts', path.join(this.dir, 'sources.list.d')),
      ...o('Dir::Etc::Preferences', path.join(this.dir, 'preferences')),
      ...o('Dir::Etc::PreferencesParts', path.join(this.dir, 'preferences.d')),
      // Downloads land in our own folders, which the _apt user may not reach.
      ...(process.getuid?.() === 0 ? o('APT::Sandbox::User', 'root') : []),
      ...o('Debug::NoLocking', '1'),
    ]
  }

  async update(): Promise<void> {
    for (const sub of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'preferences.d']) {
      await fsp.mkdir(path.join(this.dir, sub), { recursive: true })
    }
    await fsp.writeFile(path.join(this.dir, 'sources.list'), `${SOURCES.join('\n')}\n`)
    if (!fs.existsSync(path.join(this.dir, 'status'))) await fsp.writeFile(path.join(this.dir, 'status'), '')
    await run('apt-get', [...this.options(), 'update'], { label: `apt-get update (${SUITE} arm64)` })
  }

  /** The candidate's control fields (`apt-cache show --no-all-versions`). */
  async show(pkg: string): Promise<Record<string, string>> {
    const text = await run('apt-cache', [...this.options(), 'show', '--no-all-versions', pkg], { label: `apt-cache show ${pkg}` })
    const fields: Record<string, string> = {}
    for (const match of text.matchAll(/^([A-Za-z-]+): (.*)$/gm)) fields[match[1] ?? ''] = match[2] ?? ''
    return fields
  }

  async download(specs: string[], into: string): Promise<void> {
    await run('apt-get', [...this.options(), 'download', ...specs], { cwd: into, label: `apt-get download ${specs.join(' ')}` })
  }
}

// ---------------------------------------------------------------------------------------------
// Packages

const kitRoot = (cache: string): string => path.join(cache, 'boot')
const pinPath = (cache: string): string => path.join(kitRoot(cache), 'arm64.json')
const debsDir = (cache: string): string => path.join(kitRoot(cache), 'debs')
const safe = (text: string): string => text.replace(/[^A-Za-z0-9.+-]/g, '_')
const kitDir = (cache: string, pin: Pin): string =>
  path.join(kitRoot(cache), `arm64-${safe(pin.kernelVersion)}-busybox-${safe(pin.busyboxVersion)}-i${INITRAMFS_VERSION}`)

async function readPin(cache: string): Promise<Pin | null> {
  let pin: Partial<Pin>
  try {
    pin = JSON.parse(await fsp.readFile(pinPath(cache), 'utf8')) as Partial<Pin>
  } catch {
    return null
  }
  return pin.kernelPackage && pin.kernelVersion && pin.busyboxVersion ? (pin as Pin) : null
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await fsp.writeFile(temp, data)
  await fsp.rename(temp, file)
}

/** The cached .deb of `pkg` at `version`, or null. */
async function findDeb(cache: string, pkg: string, version: string): Promise<string | null> {
  const names = await fsp.readdir(debsDir(cache)).catch(() => [] as string[])
  for (const name of names.filter((n) => n.startsWith(`${pkg}_`) && n.endsWith('.deb'))) {
    const file = path.join(debsDir(cache), name)
    if ((await run('dpkg-deb', ['-f', file, 'Version'])).trim() === version) return file
  }
  return null
}

/** The newest kernel and busybox of the suite (after `apt-get update`). */
async function resolveNewest(apt: PrivateApt): Promise<Pin> {
  const meta = await apt.show(KERNEL_META)
  const kernelPackage = /^(linux-image-\S+-arm64)\b/.exec(meta.Depends ?? '')?.[1]
  if (!kernelPackage) throw new Error(`${KERNEL_META} depends on no kernel package: ${JSON.stringify(meta.Depends)}`)
  const kernelVersion = (await apt.show(kernelPackage)).Version
  const busyboxVersion = (await apt.show(BUSYBOX)).Version
  if (!kernelVersion || !busyboxVersion) throw new Error(`apt-cache shows no version for ${kernelPackage} or ${BUSYBOX}`)
  return { kernelPackage, kernelVersion, busyboxVersion }
}

/** The pinned versions (or the newest, when none is pinned or `refresh`) with their .debs in the cache. */
async function packages(cache: string, options: BootKitOptions): Promise<KitInputs> {
  const progress = options.onProgress ?? (() => {})
  const apt = new PrivateApt(path.join(kitRoot(cache), 'apt-arm64'))
  const pin = options.refresh ? null : await readPin(cache)
  const cached = async (p: Pin) => ({
    kernelDeb: await findDeb(cache, p.kernelPackage, p.kernelVersion),
    busyboxDeb: await findDeb(cache, BUSYBOX, p.busyboxVersion),
  })
  if (pin) {
    const { kernelDeb, busyboxDeb } = await cached(pin)
    if (kernelDeb && busyboxDeb) return { pin, kernelDeb, busyboxDeb }
  }
  const problem = bootKitProblem()
  if (problem) throw new Error(`cannot fetch the arm64 kernel: ${problem}`)
  progress(`apt-get update (${SUITE} arm64 package lists, private to ${path.join(kitRoot(cache), 'apt-arm64')})`)
  await apt.update()
  await fsp.mkdir(debsDir(cache), { recursive: true })
  const download = (p: Pin): Promise<void> => {
    progress(`downloading ${p.kernelPackage} ${p.kernelVersion} and ${BUSYBOX} ${p.busyboxVersion}`)
    return apt.download([`${p.kernelPackage}=${p.kernelVersion}`, `${BUSYBOX}=${p.busyboxVersion}`], debsDir(cache))
  }
  // The archive keeps only current versions: a pinned one that is gone gives way to the newest.
  const pinned = pin && (await download(pin).then(() => pin, (error: Error) => {
    progress(`pinned versions unavailable (${error.message.split('\n').pop()}), taking the newest`)
    return null
  }))
  const chosen = pinned ?? (await resolveNewest(apt))
  if (!pinned) await download(chosen)
  const { kernelDeb, busyboxDeb } = await cached(chosen)
  if (!kernelDeb || !busyboxDeb) {
    throw new Error(`apt-get download left no .deb for ${chosen.kernelPackage} or ${BUSYBOX} in ${debsDir(cache)}`)
  }
  await writeAtomic(pinPath(cache), `${JSON.stringify(chosen, null, 2)}\n`)
  return { pin: chosen, kernelDeb, busyboxDeb }
}

// ---------------------------------------------------------------------------------------------
// Modules: dependencies from .modinfo (what depmod would compute)

/** The NUL-separated `key=value` strings of an ELF64 little-endian module's .modinfo section. */
export function modinfo(elf: Buffer): Record<string, string> {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not a little-endian ELF64 module')
  const shoff = Number(elf.readBigUInt64LE(0x28))
  const shentsize = elf.readUInt16LE(0x3a)
  const shnum = elf.readUInt16LE(0x3c)
  const section = (i: number) => {
    const at = shoff + i * shentsize
    return { name: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 0x18)), size: Number(elf.readBigUInt64LE(at + 0x20)) }
  }
  const names = section(elf.readUInt16LE(0x3e))
  const info: Record<string, string> = {}
  for (let i = 0; i < shnum; i++) {
    const s = section(i)
    const nameEnd = elf.indexOf(0, names.offset + s.name)
    if (elf.toString('latin1', names.offset + s.name, nameEnd) !== '.modinfo') continue
    for (const entry of elf.toString('latin1', s.offset, s.offset + s.size).split('\0')) {
      const eq = entry.indexOf('=')
      if (eq > 0) info[entry.slice(0, eq)] = entry.slice(eq + 1)
    }
  }
  return info
}

const moduleName = (file: string): string => path.basename(file).replace(/\.ko$/, '').replace(/-/g, '_')

async function walk(dir: string, found: string[] = []): Promise<string[]> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) await walk(full, found)
    else if (entry.name.endsWith('.ko')) found.push(full)
  }
  return found
}

/** `wanted` and what they depend on, as files in load order (dependencies first); built-in ones left out. */
export async function resolveModules(modulesDir: string, wanted: readonly string[]): Promise<{ name: string; file: string }[]> {
  const files = new Map((await walk(path.join(modulesDir, 'kernel'))).map((file) => [moduleName(file), file]))
  const builtin = new Set(
    (await fsp.readFile(path.join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(moduleName),
  )
  const order: { name: string; file: string }[] = []
  const visiting = new Set<string>()
  const visit = async (name: string, by: string | null): Promise<void> => {
    if (builtin.has(name) || order.some((m) => m.name === name) || visiting.has(name)) return
    const file = files.get(name)
    if (!file) throw new Error(`module ${name}${by ? ` (needed by ${by})` : ''} is neither in ${modulesDir}/kernel nor built in`)
    visiting.add(name)
    const depends = (modinfo(await fsp.readFile(file)).depends ?? '').split(',').filter(Boolean)
    for (const dep of depends) await visit(dep.replace(/-/g, '_'), name)
    order.push({ name, file })
  }
  for (const name of wanted) await visit(name, null)
  return order
}

// ---------------------------------------------------------------------------------------------
// The initramfs: cpio newc, gzip

export interface CpioEntry {
  /** Relative, no leading slash: `init`, `bin/busybox`. */
  name: string
  /** Type and permission bits, e.g. 0o100755. */
  mode: number
  data?: Buffer
  /** Character or block devices: [major, minor]. */
  rdev?: [number, number]
}

export const S_IFDIR = 0o040000
export const S_IFREG = 0o100000
export const S_IFCHR = 0o020000

/** A cpio "newc" archive (what the kernel unpacks as an initramfs), owned by root, mtime 0: reproducible. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  const pad = (length: number): Buffer => Buffer.alloc((4 - (length % 4)) % 4)
  const header = (ino: number, entry: CpioEntry, size: number, nameSize: number): Buffer => {
    const links = (entry.mode & 0o170000) === S_IFDIR ? 2 : 1
    // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
    const fields = [ino, entry.mode, 0, 0, links, 0, size, 0, 0, entry.rdev?.[0] ?? 0, entry.rdev?.[1] ?? 0, nameSize, 0]
    return Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`, 'latin1')
  }
  const add = (ino: number, entry: CpioEntry): void => {
    const name = Buffer.from(`${entry.name}\0`, 'utf8')
    const data = entry.data ?? Buffer.alloc(0)
    parts.push(header(ino, entry, data.length, name.length), name, pad(110 + name.length), data, pad(data.length))
  }
  entries.forEach((entry, i) => add(i + 1, entry))
  add(0, { name: 'TRAILER!!!', mode: 0 })
  return Buffer.concat(parts)
}

/**
 * The initramfs's /init (busybox sh): loads the modules, finds `root=` (PARTUUID= of an MBR disk as on
 * Raspberry Pi OS, UUID=, LABEL= or a /dev path), mounts it read-only unless `rw` (as the kernel would,
 * systemd remounts per fstab), and switches to `init=` (default /sbin/init). When the root never shows
 * up it exits, so the kernel panics: with `panic=-1` that is a reboot (QEMU's -no-reboot: an exit).
 */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /newroot /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
say() { echo "orchard-initramfs: $*"; }

for name in $(cat /etc/modules.order); do
  insmod "/lib/modules/$name.ko" 2>/tmp/insmod.err || say "insmod $name: $(cat /tmp/insmod.err)"
done

root='' fstype='' flags='' mode=ro init=/sbin/init
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    root=*) root="\${arg#root=}" ;;
    rootfstype=*) fstype="\${arg#rootfstype=}" ;;
    rootflags=*) flags="\${arg#rootflags=}" ;;
    init=*) init="\${arg#init=}" ;;
    ro) mode=ro ;;
    rw) mode=rw ;;
  esac
done
[ -n "$root" ] || { say 'no root= on the kernel command line'; exit 1; }

# PARTUUID of an MBR disk: the disk identifier (4 bytes at 440) and the partition number, in hex.
by_partuuid() {
  want=$(echo "$1" | tr A-F a-f)
  for part in /sys/class/block/*; do
    [ -f "$part/partition" ] || continue
    disk=$(basename "$(dirname "$(readlink -f "$part")")")
    id=$(hexdump -s 440 -n 4 -e '1/4 "%08x"' "/dev/$disk" 2>/dev/null) || continue
    [ "$id-$(printf %02x "$(cat "$part/partition")")" = "$want" ] && { echo "/dev/\${part##*/}"; return; }
  done
}

find_root() {
  case "$root" in
    PARTUUID=*) by_partuuid "\${root#PARTUUID=}" ;;
    UUID=*|LABEL=*) findfs "$root" 2>/dev/null ;;
    /dev/*) [ -b "$root" ] && echo "$root" ;;
  esac
}

waited=0
until device=$(find_root) && [ -n "$device" ]; do
  [ $waited -ge 120 ] && { say "root $root not found after 120 s; block devices: $(ls /sys/class/block | tr '\\n' ' ')"; exit 1; }
  [ $waited -gt 0 ] && [ $((waited % 10)) -eq 0 ] && say "waiting for root $root"
  sleep 1
  waited=$((waited + 1))
done

say "root $root is $device, mounting $mode"
mount \${fstype:+-t "$fstype"} -o "$mode\${flags:+,$flags}" "$device" /newroot || { say "cannot mount $device"; exit 1; }
for fs in dev proc sys; do mount --move "/$fs" "/newroot/$fs" 2>/dev/null || umount -l "/$fs"; done
exec switch_root /newroot "$init"
`

/** The gzip'd initramfs: busybox, /init, /dev/console, and the modules flat in /lib/modules with their load order. */
export async function buildInitramfs(busybox: string, modules: readonly { name: string; file: string }[]): Promise<Buffer> {
  const dir = (name: string): CpioEntry => ({ name, mode: S_IFDIR | 0o755 })
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'etc', 'lib', 'lib/modules', 'newroot', 'proc', 'sys', 'tmp'].map(dir),
    // The kernel opens /dev/console before /init runs: without it /init has no output.
    { name: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] },
    { name: 'bin/busybox', mode: S_IFREG | 0o755, data: await fsp.readFile(busybox) },
    { name: 'init', mode: S_IFREG | 0o755, data: Buffer.from(INIT_SCRIPT) },
    { name: 'etc/modules.order', mode: S_IFREG | 0o644, data: Buffer.from(modules.map((m) => `${m.name}\n`).join('')) },
  ]
  for (const m of modules) entries.push({ name: `lib/modules/${m.name}.ko`, mode: S_IFREG | 0o644, data: await fsp.readFile(m.file) })
  return gzipSync(cpioNewc(entries), { level: 9 })
}

// ---------------------------------------------------------------------------------------------
// The kit

/**
 * Removes `<prefix>…-<pid>-<hex>` entries in `dir` left by killed processes (an unpacked kernel is 300 MB).
 * Only our own prefixes: the fixture's temp dirs may still have /proc mounted inside.
 */
export async function removeStaleTemps(dir: string, prefix: string): Promise<void> {
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue
    const pid = Number(/-(\d+)-[0-9a-f]+$/.exec(name)?.[1] ?? Number.NaN)
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) await fsp.rm(path.join(dir, name), { recursive: true, force: true })
  }
}

async function buildKit(cache: string, { pin, kernelDeb, busyboxDeb }: KitInputs, target: string, progress: (line: string) => void) {
  await removeStaleTemps(kitRoot(cache), '.tmp-kit-')
  const temp = path.join(kitRoot(cache), `.tmp-kit-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    const unpacked = path.join(temp, 'unpacked')
    const out = path.join(temp, 'kit')
    await fsp.mkdir(path.join(out, 'dtbs'), { recursive: true })
    progress(`unpacking ${path.basename(kernelDeb)} and ${path.basename(busyboxDeb)}`)
    await run('dpkg-deb', ['-x', kernelDeb, unpacked])
    await run('dpkg-deb', ['-x', busyboxDeb, unpacked])
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
export async function ensureBootKit(options: BootKitOptions = {}): Promise<BootKit> {
  const cache = options.cacheDir ?? cacheDir()
  if (!options.refresh) {
    const pin = await readPin(cache)
    const kit = pin && (await readKit(kitDir(cache, pin)))
    if (kit) return kit
  }
  const inputs = await packages(cache, options)
  const dir = kitDir(cache, inputs.pin)
  if (!(await readKit(dir))) await buildKit(cache, inputs, dir, options.onProgress ?? (() => {}))
  const kit = await readKit(dir)
  if (!kit) throw new Error(`the boot kit in ${dir} is incomplete`)
  return kit
}
