/**
 * What a release is like, read from its files: where the boot partition is mounted, how
 * it starts, how it does networking, and which first-boot helpers it carries.
 */
import { extExists, extReadHead, extReadText, type ExtFs } from './ext'

export interface ReleaseTraits {
  /** `PRETTY_NAME` from /etc/os-release. */
  release: string
  codename: string
  arch: 'arm64' | 'armhf' | 'unknown'
  bootMount: '/boot/firmware' | '/boot'
  init: 'systemd' | 'sysvinit'
  network: 'networkmanager' | 'dhcpcd' | 'ifupdown' | 'none'
  wpaSupplicant: boolean
  cloudInit: boolean
  /** Raspberry Pi OS Bookworm's first-boot user wizard (userconf-pi). */
  userconfWizard: boolean
  openssh: boolean
}

const anyExists = async (fs: ExtFs, paths: string[]) => (await Promise.all(paths.map((p) => extExists(fs, p)))).some(Boolean)
const bothPrefixes = (path: string) => [path, `/usr${path}`]

export async function detectTraits(fs: ExtFs): Promise<ReleaseTraits> {
  const osRelease = parseOsRelease((await extReadText(fs, '/etc/os-release')) ?? (await extReadText(fs, '/usr/lib/os-release')) ?? '')
  const [systemd, networkManager, dhcpcd, ifupdown, wpa, cloudInit, userconf, openssh] = await Promise.all([
    anyExists(fs, bothPrefixes('/lib/systemd/systemd')),
    anyExists(fs, bothPrefixes('/sbin/NetworkManager')),
    anyExists(fs, bothPrefixes('/sbin/dhcpcd')),
    anyExists(fs, bothPrefixes('/sbin/ifup')),
    anyExists(fs, bothPrefixes('/sbin/wpa_supplicant')),
    anyExists(fs, ['/usr/bin/cloud-init']),
    anyExists(fs, ['/usr/lib/userconf-pi/userconf-service', ...bothPrefixes('/lib/systemd/system/userconfig.service')]),
    anyExists(fs, bothPrefixes('/sbin/sshd')),
  ])
  return {
    release: osRelease.PRETTY_NAME ?? 'unknown',
    codename: osRelease.VERSION_CODENAME ?? 'unknown',
    arch: await detectArch(fs),
    bootMount: bootMountFromFstab((await extReadText(fs, '/etc/fstab')) ?? '') ?? ((await extExists(fs, '/boot/firmware')) ? '/boot/firmware' : '/boot'),
    init: systemd ? 'systemd' : 'sysvinit',
    network: networkManager ? 'networkmanager' : dhcpcd ? 'dhcpcd' : ifupdown ? 'ifupdown' : 'none',
    wpaSupplicant: wpa,
    cloudInit,
    userconfWizard: userconf,
    openssh,
  }
}

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
async function detectArch(fs: ExtFs): Promise<ReleaseTraits['arch']> {
  for (const path of ['/usr/bin/dash', '/bin/dash', '/usr/bin/bash', '/bin/bash', '/usr/bin/busybox', '/bin/busybox']) {
    const header = await extReadHead(fs, path, 20)
    if (header && header.length === 20 && header.toString('latin1', 1, 4) === 'ELF') return ELF_MACHINE[header.readUInt16LE(18)] ?? 'unknown'
  }
  return 'unknown'
}
