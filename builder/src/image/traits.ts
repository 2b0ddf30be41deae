/**
 * What a release is like, read from its files: where the boot partition is mounted, how
 * it starts, how it does networking, which first-boot helpers it carries, and so which
 * shape it has (release/shape.ts) and which mechanism applies a recipe's settings there.
 * Facts: docs/releases.md.
 */
import YAML from 'yaml'
import { extExists, extReadHead, extReadText, withExt, type ExtFs } from './ext'
import { withFat } from './fat'
import type { DiskImage } from './open'

/**
 * The release shapes Orchard tells apart, named after the Raspberry Pi OS releases that
 * have them:
 * - `trixie-cloud-init`: cloud-init's NoCloud datasource seeded from the boot partition
 *   (Raspberry Pi OS from 2025-11-24); cloud-init applies what it can.
 * - `firstrun`: Bookworm and Trixie 2025-10-01 (`init=…firstboot` or `systemd.run=` on
 *   cmdline.txt, userconf-pi, NetworkManager).
 * - `bullseye`: /boot, dhcpcd + wpa_supplicant.
 * - `generic`: anything else (plain Debian and the like): first_run_setup.sh does it all.
 */
export type ReleaseShape = 'trixie-cloud-init' | 'firstrun' | 'bullseye' | 'generic'

/** Who applies the recipe's settings at first boot (docs/releases.md has the table). */
export type FirstBootMechanism = 'cloud-init' | 'first_run_setup.sh'

export interface CmdlineTraits {
  /** `init=/usr/lib/raspberrypi-sys-mods/firstboot` (Bookworm). */
  firstbootInit: boolean
  /** `systemd.run=` (Imager's firstrun.sh on systemd-style releases). */
  systemdRun: boolean
  /** `resize` (Trixie 2025-11-24+: the rpi-resize service grows the root partition). */
  resize: boolean
}

export interface ReleaseTraits {
  /** `PRETTY_NAME` from /etc/os-release. */
  release: string
  codename: string
  arch: 'arm64' | 'armhf' | 'unknown'
  bootMount: '/boot/firmware' | '/boot'
  init: 'systemd' | 'sysvinit'
  network: 'networkmanager' | 'dhcpcd' | 'ifupdown' | 'none'
  wpaSupplicant: boolean
  /** netplan in front of the network stack (Trixie: `renderer: NetworkManager`). */
  netplan: boolean
  cloudInit: boolean
  /**
   * Where cloud-init's NoCloud datasource reads its seed when that is the boot partition
   * (`file:///boot/firmware`), else null: only then do files on the card reach cloud-init.
   */
  cloudInitSeed: string | null
  /** Raspberry Pi OS's first-boot user wizard (userconf-pi). */
  userconfWizard: boolean
  openssh: boolean
  /** The boot partition's cmdline.txt, when it has one. */
  cmdline: CmdlineTraits | null
  shape: ReleaseShape
  firstBoot: FirstBootMechanism
}

/** The few reads detection needs: an ext4 root file system or, in tests, a small map of files. */
export interface ReleaseFiles {
  exists(path: string): Promise<boolean>
  readText(path: string): Promise<string | null>
  readHead(path: string, length: number): Promise<Buffer | null>
  list(dir: string): Promise<string[]>
}

export function extReleaseFiles(fs: ExtFs): ReleaseFiles {
  return {
    exists: (path) => extExists(fs, path),
    readText: (path) => extReadText(fs, path),
    readHead: (path, length) => extReadHead(fs, path, length),
    list: (dir) => fs.readdir(dir).then((names) => names.map(String), () => []),
  }
}

const bothPrefixes = (path: string) => [path, `/usr${path}`]

/** The release on a disk image: its root file system and the boot partition's cmdline.txt. `now`: the time its reads stamp (ext atime) in a reproducible build. */
export async function detectImageTraits(image: Pick<DiskImage, 'disk' | 'boot' | 'root'>, now?: Date): Promise<ReleaseTraits> {
  const cmdline = await withFat(image.disk, image.boot, async (fat) => ((await fat.exists('/cmdline.txt')) ? (await fat.readFile('/cmdline.txt')).toString('utf8') : null))
  return withExt(image.disk, image.root, (fs) => detectTraits(fs, cmdline), now)
}

/** The release in `fs` (its root file system); `cmdline` is the boot partition's cmdline.txt, when read. */
export async function detectTraits(fs: ExtFs, cmdline: string | null = null): Promise<ReleaseTraits> {
  return detectRelease(extReleaseFiles(fs), cmdline)
}

export async function detectRelease(files: ReleaseFiles, cmdlineText: string | null): Promise<ReleaseTraits> {
  const anyExists = async (paths: string[]) => (await Promise.all(paths.map((p) => files.exists(p)))).some(Boolean)
  const osRelease = parseOsRelease((await files.readText('/etc/os-release')) ?? (await files.readText('/usr/lib/os-release')) ?? '')
  const [systemd, networkManager, dhcpcd, ifupdown, wpa, netplan, cloudInit, userconf, openssh] = await Promise.all([
    anyExists(bothPrefixes('/lib/systemd/systemd')),
    anyExists(bothPrefixes('/sbin/NetworkManager')),
    anyExists(bothPrefixes('/sbin/dhcpcd')),
    anyExists(bothPrefixes('/sbin/ifup')),
    anyExists(bothPrefixes('/sbin/wpa_supplicant')),
    anyExists([...bothPrefixes('/sbin/netplan'), '/usr/share/netplan/netplan.script']),
    anyExists(['/usr/bin/cloud-init']),
    anyExists(['/usr/lib/userconf-pi/userconf-service', ...bothPrefixes('/lib/systemd/system/userconfig.service')]),
    anyExists(bothPrefixes('/sbin/sshd')),
  ])
  const bootMount = bootMountFromFstab((await files.readText('/etc/fstab')) ?? '') ?? ((await files.exists('/boot/firmware')) ? '/boot/firmware' : '/boot')
  const seed = cloudInit ? noCloudSeed(await cloudConfigTexts(files), bootMount) : null
  const facts = {
    release: osRelease.PRETTY_NAME ?? 'unknown',
    codename: osRelease.VERSION_CODENAME ?? 'unknown',
    arch: await detectArch(files),
    bootMount,
    init: systemd ? 'systemd' : 'sysvinit',
    network: networkManager ? 'networkmanager' : dhcpcd ? 'dhcpcd' : ifupdown ? 'ifupdown' : 'none',
    wpaSupplicant: wpa,
    netplan,
    cloudInit,
    cloudInitSeed: seed,
    userconfWizard: userconf,
    openssh,
    cmdline: cmdlineText === null ? null : parseCmdline(cmdlineText),
  } as const
  const shape = releaseShape(facts)
  return { ...facts, shape, firstBoot: shape === 'trixie-cloud-init' ? 'cloud-init' : 'first_run_setup.sh' }
}

/** The shape from the facts: the seed decides cloud-init, then cmdline.txt and the release. */
export function releaseShape(facts: Omit<ReleaseTraits, 'shape' | 'firstBoot'>): ReleaseShape {
  if (facts.cloudInitSeed) return 'trixie-cloud-init'
  if (facts.codename === 'bullseye' || (facts.network === 'dhcpcd' && facts.bootMount === '/boot')) return 'bullseye'
  if (facts.cmdline?.firstbootInit || facts.cmdline?.systemdRun || (facts.userconfWizard && facts.bootMount === '/boot/firmware')) return 'firstrun'
  return 'generic'
}

export function parseCmdline(text: string): CmdlineTraits {
  const words = text.trim().split(/\s+/)
  return {
    firstbootInit: words.some((word) => /^init=\S*firstboot$/.test(word)),
    systemdRun: words.some((word) => word.startsWith('systemd.run=')),
    resize: words.includes('resize'),
  }
}

/** cloud.cfg then cloud.cfg.d/*.cfg in name order, as cloud-init merges them (later wins). */
async function cloudConfigTexts(files: ReleaseFiles): Promise<string[]> {
  const names = (await files.list('/etc/cloud/cloud.cfg.d')).filter((name) => name.endsWith('.cfg')).sort()
  const texts = await Promise.all(['/etc/cloud/cloud.cfg', ...names.map((name) => `/etc/cloud/cloud.cfg.d/${name}`)].map((path) => files.readText(path)))
  return texts.filter((text): text is string => text !== null)
}

/**
 * The NoCloud seed location when the merged configuration lists NoCloud and seeds it from
 * the boot partition (`seedfrom: file:///boot/firmware`), else null. A file that is not
 * YAML is skipped, as cloud-init warns and goes on.
 */
export function noCloudSeed(configTexts: string[], bootMount: ReleaseTraits['bootMount']): string | null {
  let list: unknown = null
  let seedfrom: unknown = null
  for (const text of configTexts) {
    let config: unknown
    try {
      config = YAML.parse(text)
    } catch {
      continue
    }
    if (!isRecord(config)) continue
    if ('datasource_list' in config) list = config.datasource_list
    const noCloud = isRecord(config.datasource) ? config.datasource.NoCloud : undefined
    if (isRecord(noCloud) && 'seedfrom' in noCloud) seedfrom = noCloud.seedfrom
  }
  if (!Array.isArray(list) || !list.includes('NoCloud') || typeof seedfrom !== 'string') return null
  const path = seedfrom.replace(/^file:\/\//, '').replace(/\/+$/, '')
  return seedfrom.startsWith('file://') && path === bootMount ? seedfrom : null
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

export function parseOsRelease(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim())
    if (match) values[match[1]!] = match[2]!.replace(/^(["'])(.*)\1$/, '$2')
  }
  return values
}

/** The mount point fstab gives the vfat boot partition (Bookworm: /boot/firmware). */
export function bootMountFromFstab(fstab: string): ReleaseTraits['bootMount'] | null {
  for (const line of fstab.split('\n')) {
    const [, mountPoint, type] = line.trim().split(/\s+/)
    if (line.trim().startsWith('#') || type !== 'vfat') continue
    if (mountPoint === '/boot/firmware' || mountPoint === '/boot') return mountPoint
  }
  return null
}

const ELF_MACHINE: Record<number, ReleaseTraits['arch']> = { 0xb7: 'arm64', 0x28: 'armhf' }

/** The architecture of the binaries, from the ELF header of a program every image has. */
async function detectArch(files: ReleaseFiles): Promise<ReleaseTraits['arch']> {
  for (const path of ['/usr/bin/dash', '/bin/dash', '/usr/bin/bash', '/bin/bash', '/usr/bin/busybox', '/bin/busybox']) {
    const header = await files.readHead(path, 20)
    if (header && header.length === 20 && header.toString('latin1', 1, 4) === 'ELF') return ELF_MACHINE[header.readUInt16LE(18)] ?? 'unknown'
  }
  return 'unknown'
}
