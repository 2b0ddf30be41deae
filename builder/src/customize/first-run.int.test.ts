/**
 * first_run_setup.sh run for real, as root, in a throwaway chroot of static busybox, with
 * hostile device.env values: whatever they hold, nothing is written outside the files the
 * section owns, a refused value fails its section with a message naming the variable, and a
 * secret never reaches the output.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ReleaseTraits } from '../image/traits'
import { genericTraits } from '../testing/release-shapes'
import { wifiPsk } from '../recipe/crypt'
import { parseRecipeYaml } from '../recipe/load'
import { sealRecipe } from '../recipe/secrets'
import { firstRunScript } from './first-run'

const BUSYBOX = '/bin/busybox'
const CHROOT = ['/usr/sbin/chroot', '/usr/bin/chroot'].find((file) => existsSync(file))
const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'].find((file) => existsSync(file))
const skip = process.getuid?.() !== 0 ? 'needs root (chroot)' : !existsSync(BUSYBOX) ? 'needs a static busybox at /bin/busybox' : !CHROOT ? 'needs chroot' : !UNSHARE ? 'needs unshare (util-linux)' : null
if (skip) console.log(`[first-run.int] skipped: ${skip}`)

const recipe = sealRecipe(
  parseRecipeYaml(`name: hostile
source: { url: "https://example.org/a.img.xz", sha256: ${'a'.repeat(64)} }
arch: arm64
wifi: { ssid: "recipe-net", passphrase: "recipe-passphrase", country: GB }
`),
)

const traits = (network: ReleaseTraits['network']): ReleaseTraits => genericTraits(network, { wpaSupplicant: network !== 'networkmanager', openssh: false })

const temps: string[] = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

/** Every file under dir with its content, for "nothing else changed". */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>()
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files.set(path.relative(dir, path.join(entry.parentPath, entry.name)), readFileSync(path.join(entry.parentPath, entry.name), 'latin1'))
  }
  return files
}

/** A chroot holding busybox and a few /etc files; runs the script there with `env` as the runner would export device.env. */
function runInChroot(network: ReleaseTraits['network'], env: Record<string, string>, shape: ReleaseTraits = traits(network)) {
  const root = mkdtempSync(path.join(tmpdir(), 'orchard-first-run-'))
  temps.push(root)
  for (const dir of ['bin', 'boot', 'dev', 'etc', 'tmp', 'proc/sys/kernel/random', 'var/lib/systemd/rfkill']) mkdirSync(path.join(root, dir), { recursive: true })
  spawnSync('mknod', ['-m', '666', path.join(root, 'dev/null'), 'c', '1', '3'])
  writeFileSync(path.join(root, 'bin/busybox'), readFileSync(BUSYBOX))
  chmodSync(path.join(root, 'bin/busybox'), 0o755)
  spawnSync(CHROOT!, [root, '/bin/busybox', '--install', '-s', '/bin'])
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n')
  writeFileSync(path.join(root, 'etc/dhcpcd.conf'), '# dhcpcd\n')
  // As the build leaves it on a release that boots from cmdline.txt (the recipe's country, GB).
  writeFileSync(path.join(root, 'boot/cmdline.txt'), 'console=tty1 rootwait cfg80211.ieee80211_regdom=GB quiet\n')
  writeFileSync(path.join(root, 'proc/sys/kernel/random/uuid'), '5f0c6e4e-0000-4000-8000-000000000001\n')
  writeFileSync(path.join(root, 'first_run_setup.sh'), firstRunScript(recipe, shape, '1.0.0'))
  const before = snapshot(root)
  // Its own UTS namespace: the hostname section's `hostname` must not rename this machine.
  const run = spawnSync(UNSHARE!, ['--uts', CHROOT!, root, '/bin/sh', '/first_run_setup.sh'], { env: { PATH: '/bin', HOSTNAME: '', ...env }, encoding: 'utf8' })
  const after = snapshot(root)
  const changed = [...after.keys()].filter((file) => before.get(file) !== after.get(file)).sort()
  const read = (file: string) => after.get(file.replace(/^\//, ''))
  return { ...run, changed, read }
}

const NETWORKS = ['networkmanager', 'dhcpcd', 'ifupdown', 'none'] as const
// What the recipe's wifi and the hostname section write (busybox sh sets HOSTNAME itself).
const OTHER_SECTIONS = /^etc\/(NetworkManager\/system-connections\/orchard-wifi|wpa_supplicant\/|network\/interfaces\.d\/wlan0$|hostname$|hosts$)/
const STATIC_FILES: Record<(typeof NETWORKS)[number], string> = {
  networkmanager: 'etc/NetworkManager/system-connections/orchard-eth1.nmconnection',
  dhcpcd: 'etc/dhcpcd.conf',
  ifupdown: 'etc/network/interfaces.d/eth1',
  none: 'etc/systemd/network/10-orchard-eth1.network',
}

describe.skipIf(skip)('first_run_setup.sh with hostile device.env values, run in a chroot', () => {
  describe.each(NETWORKS)('static address on %s', (network) => {
    it.each(['../../etc/passwd', '../x', '..', '.', 'eth0/../../x', 'a b', 'sixteen-chars-xx'])('refuses STATIC_IFACE %j and writes nothing', (iface) => {
      const run = runInChroot(network, { STATIC_IFACE: iface, STATIC_IP: '10.0.0.9/24' })
      expect(run.status).toBe(1)
      expect(run.stderr).toContain(`FAILED: static address: STATIC_IFACE "${iface}" is not an interface name`)
      expect(run.changed.filter((file) => !OTHER_SECTIONS.test(file))).toEqual([])
      expect(run.read('/etc/passwd')).toBe('root:x:0:0:root:/root:/bin/sh\n')
    })

    it.each([
      ['STATIC_IP', { STATIC_IP: '10.0.0.9/24\nnameserver 6.6.6.6' }],
      ['STATIC_IP', { STATIC_IP: '10.0.0.9/24;evil' }],
      ['GATEWAY', { STATIC_IP: '10.0.0.9/24', GATEWAY: '10.0.0.1 x' }],
      ['DNS', { STATIC_IP: '10.0.0.9/24', DNS: '1.1.1.1 /*' }],
      ['DNS', { STATIC_IP: '10.0.0.9/24', DNS: '1.1.1.1;x=y' }],
    ])('refuses a bad %s and writes nothing for it', (name, values) => {
      const run = runInChroot(network, { STATIC_IFACE: 'eth1', ...values })
      expect(run.status).toBe(1)
      expect(run.stderr, JSON.stringify(values) + run.stderr + run.stdout).toContain(`FAILED: static address: ${name} "`)
      expect(run.changed).not.toContain(STATIC_FILES[network])
    })

    it('writes a good address with its DNS servers, each expansion quoted', () => {
      const run = runInChroot(network, { STATIC_IFACE: 'eth1', STATIC_IP: '10.0.0.9/24', GATEWAY: '10.0.0.1', DNS: '1.1.1.1 9.9.9.9' })
      // (systemd-networkd cannot be enabled in the chroot: only this section's result counts)
      expect(run.stderr).not.toContain('FAILED: static address')
      const file = run.read(STATIC_FILES[network])!
      expect(file).toContain('10.0.0.9')
      expect(file).toContain('9.9.9.9')
      expect(run.changed).toContain(STATIC_FILES[network])
    })
  })

  describe('wifi', () => {
    const PSK = wifiPsk('device-net', 'device-passphrase')
    const keyfile = 'etc/NetworkManager/system-connections/orchard-wifi.nmconnection'

    it.each([
      ['a newline and a [connection] group', 'a\n[connection]\nid=evil'],
      ['a carriage return', 'a\rb'],
      ['an escape character', 'a\x1bb'],
      ['33 bytes', 'x'.repeat(33)],
    ])('refuses an SSID with %s, on NetworkManager and wpa_supplicant', (_what, ssid) => {
      for (const network of ['networkmanager', 'dhcpcd'] as const) {
        const run = runInChroot(network, { WIFI_SSID: ssid, WIFI_PSK: PSK })
        expect(run.status).toBe(1)
        expect(run.stderr).toContain('FAILED: wifi: WIFI_SSID must be 1 to 32 bytes without control characters')
        expect(run.changed.filter((file) => file.includes('orchard-wifi') || file.includes('wpa_supplicant'))).toEqual([])
      }
    })

    it('refuses a WIFI_PSK that is not 64 hex digits, without printing it', () => {
      for (const network of ['networkmanager', 'dhcpcd'] as const) {
        const run = runInChroot(network, { WIFI_SSID: 'device-net', WIFI_PSK: 'device-passphrase' })
        expect(run.status).toBe(1)
        expect(run.stderr).toContain('FAILED: wifi: WIFI_PSK must be the 64-hex-digit WPA PSK')
        expect(run.stdout + run.stderr).not.toContain('device-passphrase')
        expect(run.changed.filter((file) => file.includes('orchard-wifi') || file.includes('wpa_supplicant'))).toEqual([])
      }
    })

    it('writes any SSID as NetworkManager bytes (no keyfile escaping to get wrong) and the PSK as is', () => {
      const ssid = ' semi;colon\\back=#[x] é'
      const run = runInChroot('networkmanager', { WIFI_SSID: ssid, WIFI_PSK: PSK })
      expect(run.status, run.stderr).toBe(0)
      const file = run.read(keyfile)!
      const bytes = /^ssid=((?:\d+;)+)$/m.exec(file)![1]!.split(';').filter(Boolean).map(Number)
      expect(Buffer.from(bytes).toString('utf8')).toBe(ssid)
      expect(file).toContain(`\npsk=${PSK}\n`)
      expect(file.match(/^\[/gm)).toEqual(['[', '[', '[', '[', '['])
    })

    it('writes a 32-byte SSID of one repeated letter whole to wpa_supplicant.conf', () => {
      const run = runInChroot('dhcpcd', { WIFI_SSID: 'a'.repeat(32), WIFI_PSK: PSK })
      expect(run.status, run.stderr).toBe(0)
      expect(run.read('/etc/wpa_supplicant/wpa_supplicant.conf')).toContain(`\n\tssid=${'61'.repeat(32)}\n`)
    })

    it("keeps a card's own WIFI_COUNTRY on cmdline.txt (one word, replacing the build's), and leaves the recipe's alone", () => {
      const shape = traits('networkmanager')
      const bookworm = { ...shape, cmdline: { firstbootInit: true, systemdRun: false, resize: false } }
      const override = runInChroot('networkmanager', { ORCHARD_BOOT: '/boot', WIFI_SSID: 'device-net', WIFI_PSK: PSK, WIFI_COUNTRY: 'DE' }, bookworm)
      expect(override.status, override.stderr).toBe(0)
      expect(override.read('/boot/cmdline.txt')).toBe('console=tty1 rootwait quiet cfg80211.ieee80211_regdom=DE\n')
      const same = runInChroot('networkmanager', { ORCHARD_BOOT: '/boot', WIFI_SSID: 'device-net', WIFI_PSK: PSK, WIFI_COUNTRY: 'GB' }, bookworm)
      expect(same.status, same.stderr).toBe(0)
      expect(same.changed).not.toContain('boot/cmdline.txt')
    })

    it('refuses a WIFI_COUNTRY that is not two capital letters', () => {
      const run = runInChroot('dhcpcd', { WIFI_SSID: 'device-net', WIFI_PSK: PSK, WIFI_COUNTRY: 'GB\nnetwork={' })
      expect(run.status).toBe(1)
      expect(run.stderr, run.stderr).toContain('FAILED: wifi: WIFI_COUNTRY "')
      expect(run.changed.filter((file) => file.includes('wpa_supplicant'))).toEqual([])
    })
  })

  describe('ssh: password or keys only', () => {
    const sshRecipe = (enable: boolean) =>
      sealRecipe(parseRecipeYaml(`name: ssh\nsource: { url: "https://example.org/a.img.xz", sha256: ${'a'.repeat(64)} }\narch: arm64\nssh: { enable: ${enable}, passwordAuth: false }\n`))

    /** first_run_setup.sh of a recipe with ssh, on a release with openssh-server, its sshd_config as given. */
    function runSsh(sshdConfig: string, { enable = true, files = {} }: { enable?: boolean; files?: Record<string, string> } = {}) {
      const root = mkdtempSync(path.join(tmpdir(), 'orchard-first-run-ssh-'))
      temps.push(root)
      for (const dir of ['bin', 'dev', 'etc/ssh', 'tmp']) mkdirSync(path.join(root, dir), { recursive: true })
      spawnSync('mknod', ['-m', '666', path.join(root, 'dev/null'), 'c', '1', '3'])
      writeFileSync(path.join(root, 'bin/busybox'), readFileSync(BUSYBOX))
      chmodSync(path.join(root, 'bin/busybox'), 0o755)
      spawnSync(CHROOT!, [root, '/bin/busybox', '--install', '-s', '/bin'])
      writeFileSync(path.join(root, 'etc/ssh/sshd_config'), sshdConfig)
      for (const [file, content] of Object.entries(files)) {
        writeFileSync(path.join(root, file), content)
        chmodSync(path.join(root, file), 0o755)
      }
      writeFileSync(path.join(root, 'first_run_setup.sh'), firstRunScript(sshRecipe(enable), genericTraits('none', { openssh: true }), '1.0.0'))
      // busybox has no ssh-keygen: that section fails here; the files are what count.
      spawnSync(UNSHARE!, ['--uts', CHROOT!, root, '/bin/sh', '/first_run_setup.sh'], { env: { PATH: '/bin', HOSTNAME: '' }, encoding: 'utf8' })
      return (file: string) => readFileSync(path.join(root, file), 'utf8')
    }

    it('writes the drop-in, and makes an sshd_config without the Include read it first (sshd keeps the first value)', () => {
      const read = runSsh('PasswordAuthentication yes\nUsePAM yes\n')
      expect(read('etc/ssh/sshd_config.d/50-orchard.conf')).toBe('PasswordAuthentication no\n')
      expect(read('etc/ssh/sshd_config')).toBe('Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\nUsePAM yes\n')
    })

    it("leaves Debian's sshd_config, which already includes the folder, as it is", () => {
      const debian = 'Include /etc/ssh/sshd_config.d/*.conf\n\nKbdInteractiveAuthentication no\n'
      expect(runSsh(debian)('etc/ssh/sshd_config')).toBe(debian)
    })

    // Stand-ins: a systemctl that logs how it was called (what counts is what the script asks of
    // it), and an ssh-keygen that succeeds so the section gets that far.
    const SYSTEMCTL_LOG = {
      'bin/systemctl': '#!/bin/sh\necho "SKIP_SYSV=${SYSTEMCTL_SKIP_SYSV:-} $*" >> /tmp/systemctl.log\n',
      'bin/ssh-keygen': '#!/bin/sh\nexit 0\n',
    }

    it.each([
      [true, 'SKIP_SYSV=1 enable ssh'],
      [false, 'SKIP_SYSV=1 disable --now ssh'],
    ])('enable: %s asks systemctl for %j (a native unit: no SysV sync, two daemon-reloads fewer)', (enable, call) => {
      const read = runSsh('Include /etc/ssh/sshd_config.d/*.conf\n', { enable, files: SYSTEMCTL_LOG })
      expect(read('tmp/systemctl.log').split('\n')).toContain(call)
    })
  })

  describe('keyboard layout', () => {
    const keyboardRecipe = sealRecipe(parseRecipeYaml(`name: kb\nsource: { url: "https://example.org/a.img.xz", sha256: ${'a'.repeat(64)} }\narch: arm64\nsystem: { keyboard: de }\n`))

    function runKeyboard(files: Record<string, string>) {
      const root = mkdtempSync(path.join(tmpdir(), 'orchard-first-run-kb-'))
      temps.push(root)
      for (const dir of ['bin', 'etc/default', 'tmp', 'usr/lib/raspberrypi-sys-mods']) mkdirSync(path.join(root, dir), { recursive: true })
      writeFileSync(path.join(root, 'bin/busybox'), readFileSync(BUSYBOX))
      chmodSync(path.join(root, 'bin/busybox'), 0o755)
      spawnSync(CHROOT!, [root, '/bin/busybox', '--install', '-s', '/bin'])
      for (const [file, content] of Object.entries(files)) {
        writeFileSync(path.join(root, file), content)
        chmodSync(path.join(root, file), 0o755)
      }
      writeFileSync(path.join(root, 'first_run_setup.sh'), firstRunScript(keyboardRecipe, genericTraits('none'), '1.0.0'))
      const run = spawnSync(UNSHARE!, ['--uts', CHROOT!, root, '/bin/sh', '/first_run_setup.sh'], { env: { PATH: '/bin', HOSTNAME: '' }, encoding: 'utf8' })
      return { run, read: (file: string) => (existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), 'utf8') : null) }
    }

    it("uses Raspberry Pi OS's own imager_custom set_keymap where it is there", () => {
      const { run, read } = runKeyboard({ 'usr/lib/raspberrypi-sys-mods/imager_custom': '#!/bin/sh\necho "$@" > /tmp/imager_custom.args\n' })
      expect(run.status, run.stderr).toBe(0)
      expect(read('tmp/imager_custom.args')).toBe('set_keymap de\n')
      expect(read('etc/default/keyboard')).toBeNull()
    })

    it('else sets XKBLAYOUT in /etc/default/keyboard, keeping the rest', () => {
      const { run, read } = runKeyboard({ 'etc/default/keyboard': 'XKBMODEL="pc105"\nXKBLAYOUT="gb"\nXKBOPTIONS=""\n' })
      expect(run.status, run.stderr).toBe(0)
      expect(read('etc/default/keyboard')).toBe('XKBMODEL="pc105"\nXKBLAYOUT="de"\nXKBOPTIONS=""\n')
    })
  })

  describe('where cloud-init applies the recipe (trixie-cloud-init)', () => {
    const cloudShape = genericTraits('networkmanager', { openssh: false, cloudInit: true, cloudInitSeed: 'file:///boot/firmware', shape: 'trixie-cloud-init', firstBoot: 'cloud-init' })

    it("applies none of the recipe's settings itself: cloud-init has them", () => {
      const run = runInChroot('networkmanager', {}, cloudShape)
      expect(run.status, run.stderr).toBe(0)
      expect(run.changed.filter((file) => file !== 'first_run_setup.sh')).toEqual([])
    })

    it("applies a card's device.env overrides, and keeps cloud-init from putting its hostname back", () => {
      const run = runInChroot('networkmanager', { HOSTNAME: 'device-7', WIFI_SSID: 'device-net', WIFI_PSK: wifiPsk('device-net', 'device-passphrase') }, cloudShape)
      expect(run.status, run.stderr).toBe(0)
      expect(run.read('/etc/hostname')).toBe('device-7\n')
      expect(run.read('/etc/cloud/cloud.cfg.d/99-orchard-hostname.cfg')).toBe('preserve_hostname: true\nmanage_etc_hosts: false\n')
      expect(run.read('/etc/NetworkManager/system-connections/orchard-wifi.nmconnection')).toContain('interface-name=wlan0')
    })
  })
})
