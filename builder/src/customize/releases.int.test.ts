/**
 * Quick builds of releases unlike the fixture, made with mke2fs -d from small trees: the
 * build must notice each release's traits and use its own files and hooks.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import YAML from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage } from '../pipeline/build'
import { loadRecipe } from '../recipe/load'
import { RC_LOCAL_LINE } from './runner-files'
import { debugfs, e2fsck, extStat, extractPartition, fsckFat, makeDisk, mls, mtype, sha256sum } from '../testing/disk-tools'
import { SSH_RUNCMD } from '../features/ssh'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-releases-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const CONNECT_TOKEN = 'rpuak_releaseTestConnectToken42'
const CMDLINE = 'console=serial0,115200 console=tty1 root=PARTUUID=0badc0de-02 rootfstype=ext4 fsck.repair=yes rootwait'

/** A user's own cloud-init files, named by the recipe (cloudInit.userData / networkConfig). */
const USER_DATA = '#cloud-config\npackages: [htop]\nruncmd:\n  - [touch, /var/lib/user-was-here]\nssh_pwauth: false\n'
const NETWORK_CONFIG = 'network:\n  version: 2\n  ethernets:\n    eth1: { dhcp4: true, optional: true }\n'

/** An ELF header saying ARM 32-bit (e_machine 0x28), enough for the arch check. */
const ARMHF_ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x28, 0])

async function tree(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const root = path.join(dir, name)
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true })
    await writeFile(path.join(root, file), content)
  }
  return root
}

async function build(name: string, root: string, extra: string, bootFiles: Record<string, string> = {}) {
  const image = makeDisk(path.join(dir, `${name}.img`), [
    { type: 'c', filesystem: 'fat', mib: 40 },
    { type: '83', filesystem: 'ext4', mib: 24, content: root },
  ])
  const table = JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' })) as { partitiontable: { partitions: { start: number }[] } }
  for (const [file, content] of Object.entries(bootFiles)) {
    await writeFile(path.join(dir, 'boot-file'), content)
    execFileSync('mcopy', ['-o', '-i', `${image}@@${table.partitiontable.partitions[0]!.start * 512}`, path.join(dir, 'boot-file'), `::${file}`])
  }
  const recipe = path.join(dir, `${name}.yml`)
  await writeFile(
    recipe,
    `name: ${name}\narch: armhf\nsource: { path: ${image}, sha256: ${sha256sum(image)} }\n` +
      'users: [{ name: fleet, password: release-test-pw, sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb5vOa4UZmYn0yd1NFhL3G5oCt2sSzeT3Xrbf8fc3Ql me@host"] }]\n' +
      'system: { hostname: rel-host, timezone: Europe/Berlin, keyboard: de }\nssh: { enable: true }\nwifi: { ssid: RelNet, passphrase: release-passphrase, country: DE }\n' +
      'network: { eth0: { address: 10.1.2.3/24, gateway: 10.1.2.1 } }\n' +
      `connect: { token: ${CONNECT_TOKEN} }\n` +
      extra,
  )
  const steps: string[] = []
  const result = await buildImage(await loadRecipe(recipe), { outDir: path.join(dir, `${name}-out`), cache: path.join(dir, 'cache'), onProgress: ({ message }) => message && steps.push(message) })
  const boot = extractPartition(result.image, 1, path.join(dir, `${name}.fat`))
  const rootfs = extractPartition(result.image, 2, path.join(dir, `${name}.ext4`))
  expect(fsckFat(boot).ok).toBe(true)
  expect(e2fsck(rootfs).ok).toBe(true)
  return { result, boot, rootfs, steps }
}

describe('Bookworm-style: systemd, NetworkManager, the userconf first-boot wizard', () => {
  let built: Awaited<ReturnType<typeof build>>
  beforeAll(async () => {
    const root = await tree('bookworm', {
      'etc/os-release': 'PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n',
      'etc/fstab': 'PARTUUID=0badc0de-01  /boot/firmware  vfat  defaults  0  2\nPARTUUID=0badc0de-02  /  ext4  defaults,noatime  0  1\n',
      'usr/bin/dash': ARMHF_ELF,
      'usr/lib/systemd/systemd': ARMHF_ELF,
      'usr/sbin/NetworkManager': ARMHF_ELF,
      'usr/sbin/wpa_supplicant': ARMHF_ELF,
      'usr/sbin/sshd': ARMHF_ELF,
      'usr/lib/userconf-pi/userconf-service': '#!/bin/sh\n',
      'boot/firmware/.keep': '',
    })
    built = await build('bookworm', root, '', { 'cmdline.txt': `${CMDLINE} quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n` })
  }, 120_000)

  it('puts the wifi country on cmdline.txt (the build owns it, as Imager does on every format), and the Connect token on one scrubbed line', () => {
    expect(mtype(built.boot, '/cmdline.txt')).toBe(`${CMDLINE} quiet init=/usr/lib/raspberrypi-sys-mods/firstboot cfg80211.ieee80211_regdom=DE\n`)
    const script = mtype(built.boot, '/startup-scripts/run-once/first_run_setup.sh')
    expect(script.split('\n').filter((line) => line.includes(CONNECT_TOKEN))).toEqual([`CONNECT_TOKEN='${CONNECT_TOKEN}' # orchard:secret`])
    expect(script).toContain("REGDOM_ON_CMDLINE='DE'")
    expect(mtype(built.boot, '/buildinfo/buildinfo.txt')).toContain('Raspberry Pi Connect: signs in as fleet')
    expect(mtype(built.boot, '/buildinfo/buildinfo.txt') + mtype(built.boot, '/buildinfo/buildinfo.json')).not.toContain(CONNECT_TOKEN)
    // This image has no rpi-connect: the build says so, and never shows the token.
    expect(built.steps).toContain('connect: this image has no rpi-connect (add packages: [rpi-connect-lite] in a full build): the token will wait in auth.key')
    expect(built.steps.join('\n')).not.toContain(CONNECT_TOKEN)
  })

  it('sees the release as it is', () => {
    expect(built.result.buildInfo.release).toMatchObject({
      codename: 'bookworm', arch: 'armhf', bootMount: '/boot/firmware', init: 'systemd', network: 'networkmanager', userconfWizard: true, cloudInit: false,
    })
  })

  it('gives the wizard its native userconf.txt, the user without a hash, so it does not stop boot; first_run_setup.sh sets the password', () => {
    // userconf-pi deletes the file without wiping it: no hash there to stay in free clusters.
    expect(mtype(built.boot, '/userconf.txt')).toBe('fleet:*\n')
    const hash = /\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}/.exec(mtype(built.boot, '/startup-scripts/run-once/first_run_setup.sh'))![0]
    expect(execFileSync('openssl', ['passwd', '-6', '-salt', hash.split('$')[2]!, 'release-test-pw'], { encoding: 'utf8' }).trim()).toBe(hash)
  })

  it('configures wifi and the static address as NetworkManager keyfiles, and enables the unit', () => {
    const script = mtype(built.boot, '/startup-scripts/run-once/first_run_setup.sh')
    expect(script).toContain('/etc/NetworkManager/system-connections/orchard-wifi.nmconnection')
    expect(script).toContain('key-mgmt=wpa-psk')
    expect(script).not.toContain('wpa_supplicant.conf')
    expect(script).toContain('address1=%s%s')
    expect(extStat(built.rootfs, '/etc/systemd/system/multi-user.target.wants/orchard-startup.service')?.type).toBe('symlink')
    expect(script).toContain('systemctl enable ssh')
    expect(mls(built.boot, '/')).not.toContain('ssh') // first_run_setup.sh alone turns sshd on
  })
})

describe('Trixie 2025-11-24 style: cloud-init seeded from /boot/firmware, netplan, `rootwait resize`', () => {
  let built: Awaited<ReturnType<typeof build>>
  beforeAll(async () => {
    const root = await tree('trixie', {
      'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nVERSION_CODENAME=trixie\n',
      'etc/fstab': 'PARTUUID=0badc0de-01  /boot/firmware  vfat  defaults  0  2\n',
      'etc/cloud/cloud.cfg': 'datasource_list: [ None ]\n',
      'etc/cloud/cloud.cfg.d/99_raspberry-pi.cfg': 'datasource_list: [ NoCloud, None ]\ndatasource:\n  NoCloud:\n    seedfrom: file:///boot/firmware\n',
      'usr/bin/dash': ARMHF_ELF,
      'usr/bin/cloud-init': '#!/usr/bin/python3\n',
      'usr/lib/systemd/systemd': ARMHF_ELF,
      'usr/sbin/NetworkManager': ARMHF_ELF,
      'usr/sbin/netplan': '#!/usr/bin/python3\n',
      'usr/sbin/sshd': ARMHF_ELF,
      'usr/lib/userconf-pi/userconf-service': '#!/bin/sh\n',
    })
    await mkdir(path.join(dir, 'seed'), { recursive: true })
    await writeFile(path.join(dir, 'seed/user-data'), USER_DATA)
    await writeFile(path.join(dir, 'seed/network-config'), NETWORK_CONFIG)
    built = await build('trixie', root, 'cloudInit: { userData: seed/user-data, networkConfig: seed/network-config }\n', {
      'cmdline.txt': 'console=serial0,115200 console=tty1 root=PARTUUID=0badc0de-02 rootfstype=ext4 fsck.repair=yes rootwait resize\n',
      'meta-data': 'dsmode: local\ninstance_id: rpios-image\n',
    })
  }, 120_000)

  it('sees the shape and that cloud-init applies the settings', () => {
    expect(built.result.buildInfo.release).toMatchObject({ codename: 'trixie', shape: 'trixie-cloud-init', firstBoot: 'cloud-init', cloudInitSeed: 'file:///boot/firmware', netplan: true, cmdline: { resize: true } })
    expect(mtype(built.boot, '/buildinfo/buildinfo.txt')).toContain("First boot:    shape trixie-cloud-init, the recipe's settings applied by cloud-init")
  })

  it("gives cloud-init user-data, network-config and meta-data with the recipe's instance id, and the regulatory domain on cmdline.txt", () => {
    const userData = YAML.parse(mtype(built.boot, '/user-data')) as { hostname: string; timezone: string; keyboard: { layout: string }; users: { name: string; hashed_passwd: string; groups: string[] }[]; runcmd: unknown[] }
    expect(userData).toMatchObject({ hostname: 'rel-host', timezone: 'Europe/Berlin', keyboard: { layout: 'de' }, users: [{ name: 'fleet' }] })
    expect(userData.runcmd).toContainEqual(['env', 'SYSTEMCTL_SKIP_SYSV=1', 'systemctl', 'enable', '--now', 'ssh'])
    expect(userData.users[0]!.hashed_passwd).toMatch(/^\$6\$/)
    // The first user takes the place of Raspberry Pi OS's own: its groups, as Imager 2 gives them.
    expect(userData.users[0]!.groups).toEqual(expect.arrayContaining(['gpio', 'i2c', 'spi', 'video', 'dialout', 'sudo']))
    const network = YAML.parse(mtype(built.boot, '/network-config')) as { network: { version: number; wifis: { wlan0: Record<string, unknown> } } }
    expect(network.network.version).toBe(2)
    expect(network.network.wifis.wlan0).toMatchObject({ optional: true, 'access-points': { RelNet: { password: expect.stringMatching(/^[0-9a-f]{64}$/) } } })
    expect(network.network.wifis.wlan0).not.toHaveProperty('regulatory-domain')
    const metaData = YAML.parse(mtype(built.boot, '/meta-data')) as Record<string, string>
    expect(metaData['instance-id']).toBe(`orchard-${built.result.buildInfo.recipeSha256!.slice(0, 16)}`)
    expect(metaData.instance_id).toBe(metaData['instance-id'])
    expect(mtype(built.boot, '/cmdline.txt')).toBe('console=serial0,115200 console=tty1 root=PARTUUID=0badc0de-02 rootfstype=ext4 fsck.repair=yes rootwait resize cfg80211.ieee80211_regdom=DE\n')
    for (const secret of ['release-test-pw', 'release-passphrase']) expect(mtype(built.boot, '/user-data') + mtype(built.boot, '/network-config')).not.toContain(secret)
  })

  it("merges the user's own user-data and network-config with the recipe's settings", () => {
    const userData = YAML.parse(mtype(built.boot, '/user-data')) as Record<string, unknown>
    expect(mtype(built.boot, '/user-data').split('\n')[0]).toBe('#cloud-config')
    expect(userData).toMatchObject({ hostname: 'rel-host', packages: ['htop'], ssh_pwauth: false })
    // The recipe's runcmd (SSH on, the Connect hand-over) first, then the file's.
    const runcmd = userData.runcmd as unknown[][]
    expect(runcmd).toHaveLength(3)
    expect(runcmd[0]).toEqual(SSH_RUNCMD(true))
    expect(String(runcmd[1]![2])).toContain('com.raspberrypi.connect/auth.key')
    expect(runcmd[2]).toEqual(['touch', '/var/lib/user-was-here'])
    const network = YAML.parse(mtype(built.boot, '/network-config')) as { network: { version: number; renderer: string; ethernets: unknown; wifis: { wlan0: unknown } } }
    expect(network.network).toMatchObject({ version: 2, renderer: 'NetworkManager', ethernets: { eth1: { dhcp4: true, optional: true } } })
    expect(network.network.wifis.wlan0).toBeTruthy()
    expect(mtype(built.boot, '/buildinfo/buildinfo.txt')).toContain('user-data from seed/user-data, network-config from seed/network-config, merged with the recipe')
  })

  it("refuses a user-data file that contradicts the recipe, naming both sides, as the recipe is loaded (before any build)", async () => {
    await writeFile(path.join(dir, 'seed/clash'), '#cloud-config\nhostname: other-host\ntimezone: Europe/Berlin\n')
    const image = path.join(dir, 'trixie.img')
    const recipe = path.join(dir, 'clash.yml')
    await writeFile(recipe, `name: clash\narch: armhf\nsource: { path: ${image}, sha256: ${sha256sum(image)} }\nsystem: { hostname: rel-host, timezone: Europe/Berlin }\ncloudInit: { userData: seed/clash }\n`)
    await expect(loadRecipe(recipe)).rejects.toThrow(/cloudInit\.userData \(seed\/clash\):\n {2}hostname: the file sets "other-host", the recipe's Hostname \(hostname\) sets "rel-host": keep one$/)
  })

  it('leaves first_run_setup.sh only what cloud-init does not do, and writes no userconf.txt or ssh flag', () => {
    const script = mtype(built.boot, '/startup-scripts/run-once/first_run_setup.sh')
    expect(script).not.toContain('useradd')
    expect(script).toContain("RECIPE_HOSTNAME=''")
    expect(script).toContain("RECIPE_WIFI_SSID=''")
    expect(script).not.toContain('Europe/Berlin')
    expect(script).toContain('10.1.2.3/24') // the static address: cloud-init's network-config does not carry it
    expect(script).toContain('ssh-keygen -A')
    expect(mls(built.boot, '/')).not.toContain('userconf.txt')
    expect(mls(built.boot, '/')).not.toContain('ssh')
  })
})

describe('Bullseye-style: sysvinit, dhcpcd, cloud-init, boot at /boot, an existing rc.local', () => {
  let bullseyeRoot: string
  let built: Awaited<ReturnType<typeof build>>
  beforeAll(async () => {
    const root = await tree('bullseye', {
      'etc/os-release': 'PRETTY_NAME="Raspbian GNU/Linux 11 (bullseye)"\nVERSION_CODENAME=bullseye\n',
      'etc/fstab': 'PARTUUID=0badc0de-01  /boot  vfat  defaults  0  2\n',
      'etc/rc.local': '#!/bin/sh -e\n# site hook\necho site\n\nexit 0\n',
      'bin/dash': ARMHF_ELF,
      'sbin/dhcpcd': ARMHF_ELF,
      'sbin/wpa_supplicant': ARMHF_ELF,
      'usr/bin/cloud-init': '#!/usr/bin/python3\n',
    })
    bullseyeRoot = root
    built = await build('bullseye', root, 'outputs: { image: { compress: xz } }\n')
  }, 120_000)

  it("refuses a recipe's own cloud-init files: there is no cloud-init seed here for them to reach", async () => {
    await mkdir(path.join(dir, 'seed'), { recursive: true })
    await writeFile(path.join(dir, 'seed/user-data'), USER_DATA)
    await expect(build('bullseye-seed', bullseyeRoot, 'cloudInit: { userData: seed/user-data }\n')).rejects.toThrow(
      /cloudInit\.userData: this image \(Raspbian GNU\/Linux 11 \(bullseye\), shape bullseye\) has no cloud-init seeded from its boot partition/,
    )
  })

  it('sees the release as it is', () => {
    expect(built.result.buildInfo.release).toMatchObject({ codename: 'bullseye', bootMount: '/boot', init: 'sysvinit', network: 'dhcpcd', cloudInit: true, userconfWizard: false })
  })

  it('hooks the runner into the existing rc.local before its exit 0, executable, and installs no unit', () => {
    const rcLocal = debugfs(built.rootfs, 'cat /etc/rc.local')
    expect(rcLocal).toBe(`#!/bin/sh -e\n# site hook\necho site\n\n${RC_LOCAL_LINE}\nexit 0\n`)
    expect(extStat(built.rootfs, '/etc/rc.local')).toMatchObject({ mode: 0o755, uid: 0 })
    expect(extStat(built.rootfs, '/etc/systemd/system/orchard-startup.service')).toBeNull()
    expect(extStat(built.rootfs, '/usr/local/lib/orchard/startup-runner')).toMatchObject({ mode: 0o755 })
  })

  it("writes no cloud-init seed (cloud-init here is not seeded from the boot partition): first_run_setup.sh applies it all, with dhcpcd's static address", () => {
    expect(built.result.buildInfo.release).toMatchObject({ cloudInitSeed: null, shape: 'bullseye', firstBoot: 'first_run_setup.sh' })
    expect(mls(built.boot, '/')).not.toContain('user-data')
    const script = mtype(built.boot, '/startup-scripts/run-once/first_run_setup.sh')
    expect(script).toContain("RECIPE_HOSTNAME='rel-host'")
    expect(script).toMatch(/useradd --create-home --shell \/bin\/bash '?fleet/)
    expect(script).toContain('>> /etc/dhcpcd.conf')
    expect(script).toContain('/etc/wpa_supplicant/wpa_supplicant.conf')
  })

  it('also writes <name>.img.xz, which decompresses to exactly the image', async () => {
    expect(built.result.compressed).toBe(`${built.result.image}.xz`)
    execFileSync('xz', ['--test', built.result.compressed!])
    const roundTrip = execFileSync('xz', ['-dc', built.result.compressed!], { maxBuffer: 1 << 30 })
    expect(roundTrip.length).toBe((await readFile(built.result.image)).length)
    expect(sha256sum(built.result.image)).toBe(built.result.sha256)
    const decompressed = path.join(dir, 'roundtrip.img')
    await writeFile(decompressed, roundTrip)
    expect(sha256sum(decompressed)).toBe(built.result.sha256)
  })
})
