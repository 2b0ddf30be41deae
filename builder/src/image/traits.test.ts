/** Release detection over small synthetic file sets shaped like each release (docs/releases.md). */
import { describe, expect, it } from 'vitest'
import { detectRelease, noCloudSeed, parseCmdline, type ReleaseFiles } from './traits'

const ARM64_ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0xb7, 0])
const ARMHF_ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x28, 0])

function files(tree: Record<string, string | Buffer>): ReleaseFiles {
  const has = (path: string) => path in tree || Object.keys(tree).some((file) => file.startsWith(`${path}/`))
  return {
    exists: async (path) => has(path),
    readText: async (path) => (typeof tree[path] === 'string' ? tree[path] : tree[path]?.toString('utf8') ?? null),
    readHead: async (path, length) => (tree[path] === undefined ? null : Buffer.from(tree[path]).subarray(0, length)),
    list: async (dir) => [...new Set(Object.keys(tree).filter((file) => file.startsWith(`${dir}/`)).map((file) => file.slice(dir.length + 1).split('/')[0]!))],
  }
}

const FIRMWARE_FSTAB = 'proc /proc proc defaults 0 0\nPARTUUID=6c586e13-01  /boot/firmware  vfat  defaults  0  2\nPARTUUID=6c586e13-02  /  ext4  defaults,noatime  0  1\n'
// What pi-gen's Trixie images carry from rpi-cloud-init-mods (shape only; our own words).
const RPI_CLOUD_CFG = 'datasource_list: [ NoCloud, None ]\ndatasource:\n  NoCloud:\n    seedfrom: file:///boot/firmware\n'

const TRIXIE = {
  '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nVERSION_CODENAME=trixie\n',
  '/etc/fstab': FIRMWARE_FSTAB,
  '/usr/bin/dash': ARM64_ELF,
  '/usr/lib/systemd/systemd': ARM64_ELF,
  '/usr/sbin/NetworkManager': ARM64_ELF,
  '/usr/sbin/wpa_supplicant': ARM64_ELF,
  '/usr/sbin/netplan': '#!/usr/bin/python3\n',
  '/usr/sbin/sshd': ARM64_ELF,
  '/usr/lib/userconf-pi/userconf-service': '#!/bin/sh\n',
}

describe('release shapes', () => {
  it('Trixie 2025-11-24+: cloud-init seeded from /boot/firmware, netplan, `rootwait resize`', async () => {
    const traits = await detectRelease(
      files({ ...TRIXIE, '/usr/bin/cloud-init': '#!/usr/bin/python3\n', '/etc/cloud/cloud.cfg': 'datasource_list: [ None ]\n', '/etc/cloud/cloud.cfg.d/99_raspberry-pi.cfg': RPI_CLOUD_CFG }),
      'console=serial0,115200 console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 fsck.repair=yes rootwait resize\n',
    )
    expect(traits).toMatchObject({
      codename: 'trixie', arch: 'arm64', bootMount: '/boot/firmware', network: 'networkmanager', netplan: true, cloudInit: true,
      cloudInitSeed: 'file:///boot/firmware', userconfWizard: true, cmdline: { firstbootInit: false, systemdRun: false, resize: true },
      shape: 'trixie-cloud-init', firstBoot: 'cloud-init',
    })
  })

  it('Trixie 2025-10-01: no cloud-init, `systemd.run=` style: firstrun', async () => {
    const traits = await detectRelease(files(TRIXIE), 'console=tty1 root=PARTUUID=6c586e13-02 rootwait quiet systemd.run=/boot/firstrun.sh systemd.run_success_action=reboot\n')
    expect(traits).toMatchObject({ codename: 'trixie', cloudInit: false, cloudInitSeed: null, cmdline: { systemdRun: true }, shape: 'firstrun', firstBoot: 'first_run_setup.sh' })
  })

  it('Bookworm: `init=/usr/lib/raspberrypi-sys-mods/firstboot`, NetworkManager, no netplan: firstrun', async () => {
    const { '/usr/sbin/netplan': _netplan, ...bookworm } = TRIXIE
    const traits = await detectRelease(
      files({ ...bookworm, '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n' }),
      'console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n',
    )
    expect(traits).toMatchObject({ codename: 'bookworm', netplan: false, network: 'networkmanager', cmdline: { firstbootInit: true, resize: false }, shape: 'firstrun', firstBoot: 'first_run_setup.sh' })
  })

  it('Bullseye armhf: /boot, dhcpcd + wpa_supplicant', async () => {
    const traits = await detectRelease(
      files({
        '/etc/os-release': 'PRETTY_NAME="Raspbian GNU/Linux 11 (bullseye)"\nVERSION_CODENAME=bullseye\n',
        '/etc/fstab': 'PARTUUID=0badc0de-01  /boot  vfat  defaults  0  2\n',
        '/bin/dash': ARMHF_ELF,
        '/lib/systemd/systemd': ARMHF_ELF,
        '/sbin/dhcpcd': ARMHF_ELF,
        '/sbin/wpa_supplicant': ARMHF_ELF,
        '/usr/lib/userconf-pi/userconf-service': '#!/bin/sh\n',
      }),
      'console=tty1 root=PARTUUID=0badc0de-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspi-config/init_resize.sh\n',
    )
    expect(traits).toMatchObject({ arch: 'armhf', bootMount: '/boot', network: 'dhcpcd', wpaSupplicant: true, cloudInit: false, shape: 'bullseye', firstBoot: 'first_run_setup.sh' })
  })

  it('cloud-init without a seed on the boot partition is not the cloud-init shape (its files on the card would reach nobody)', async () => {
    const base = { ...TRIXIE, '/usr/bin/cloud-init': '#!/usr/bin/python3\n' }
    const configs: Record<string, string>[] = [
      { '/etc/cloud/cloud.cfg': 'datasource_list: [ NoCloud, None ]\n' }, // NoCloud, but no seedfrom
      { '/etc/cloud/cloud.cfg.d/90.cfg': RPI_CLOUD_CFG.replace('/boot/firmware', '/boot') }, // seeded from elsewhere
      { '/etc/cloud/cloud.cfg.d/50.cfg': RPI_CLOUD_CFG, '/etc/cloud/cloud.cfg.d/99.cfg': 'datasource_list: [ Ec2 ]\n' }, // a later file wins
      { '/etc/cloud/cloud.cfg.d/99.cfg': 'datasource_list: [NoCloud\n' }, // not YAML
    ]
    for (const config of configs) {
      const traits = await detectRelease(files({ ...base, ...config }), null)
      expect(traits).toMatchObject({ cloudInit: true, cloudInitSeed: null, cmdline: null, shape: 'firstrun', firstBoot: 'first_run_setup.sh' })
    }
  })

  it('a plain Debian tree is generic', async () => {
    const traits = await detectRelease(files({ '/etc/os-release': 'VERSION_CODENAME=bookworm\n', '/usr/bin/dash': ARM64_ELF, '/usr/lib/systemd/systemd': ARM64_ELF }), null)
    expect(traits).toMatchObject({ release: 'unknown', bootMount: '/boot', network: 'none', shape: 'generic', firstBoot: 'first_run_setup.sh' })
  })
})

describe('pieces', () => {
  it('reads cmdline.txt words, not substrings', () => {
    expect(parseCmdline('root=/dev/mmcblk0p2 rootwait resize')).toEqual({ firstbootInit: false, systemdRun: false, resize: true })
    expect(parseCmdline('quiet resize=no init=/sbin/init')).toEqual({ firstbootInit: false, systemdRun: false, resize: false })
  })

  it('accepts the seed with or without a trailing slash, only as a file:// URL', () => {
    const config = (seed: string) => [`datasource_list: [NoCloud, None]\ndatasource: { NoCloud: { seedfrom: "${seed}" } }\n`]
    expect(noCloudSeed(config('file:///boot/firmware/'), '/boot/firmware')).toBe('file:///boot/firmware/')
    expect(noCloudSeed(config('file:///boot'), '/boot')).toBe('file:///boot')
    expect(noCloudSeed(config('http://10.0.0.1/boot/firmware'), '/boot/firmware')).toBeNull()
  })
})
