/**
 * A quick build of the fixture image, judged by tools that are not ours; then the
 * startup-scripts runner for real, in a qemu-user chroot of the built root filesystem.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage, type BuildResult } from './build'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { loadRecipe, recipeHash } from '../recipe/load'
import { debugfs, e2fsck, extStat, extractPartition, fsckFat, mls, mtype, sfdiskTable, sha256sum } from '../testing/disk-tools'

const PASSWORD = 'Orchard-Test-Password-7781'
const PASSPHRASE = 'wifi-passphrase-never-stored-5512'
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb5vOa4UZmYn0yd1NFhL3G5oCt2sSzeT3Xrbf8fc3Ql ci@orchard'
const skipReason = fixtureUnavailableReason('arm64')
if (skipReason) console.log(`[build.int] skipped: ${skipReason}`)

describe.skipIf(skipReason)('quick build of the arm64 fixture', () => {
  let dir: string
  let fixture: string
  let fixtureSha: string
  let result: BuildResult
  let boot: string
  let root: string
  const messages: string[] = []

  beforeAll(async () => {
    fixture = await testFixture('arm64')
    fixtureSha = sha256sum(fixture)
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-build-'))
    await mkdir(path.join(dir, 'scripts'))
    await writeFile(path.join(dir, 'scripts/10-hello.sh'), '#!/bin/sh\necho "hello from $(cat /etc/hostname)"\n')
    await writeFile(path.join(dir, 'scripts/20-fail.sh'), '#!/bin/sh\necho "about to fail" >&2\nexit 3\n')
    await writeFile(path.join(dir, 'scripts/count.sh'), '#!/bin/sh\nn=$(cat "$ORCHARD_RESOURCES/count" 2>/dev/null || echo 0)\necho $((n + 1)) > "$ORCHARD_RESOURCES/count"\n')
    await writeFile(path.join(dir, 'scripts/ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    await writeFile(
      path.join(dir, 'recipe.yml'),
      `name: fleet-test
source:
  path: ${path.relative(dir, fixture)}
  sha256: ${fixtureSha}
arch: arm64
system: { hostname: orchard-test, timezone: Europe/London, keyboard: gb }
users:
  - name: fleet
    password: ${PASSWORD}
    sudo: true
    sshKeys: ["${SSH_KEY}"]
ssh: { enable: true, passwordAuth: false }
wifi: { ssid: OrchardNet, passphrase: ${PASSPHRASE}, country: GB }
network:
  eth0: { address: 192.168.77.10/24, gateway: 192.168.77.1, dns: [192.168.77.1] }
files:
  - { content: "managed by orchard\\n", target: /etc/motd, mode: "0640", owner: "0:4" }
  - { content: "dtparam=i2c_arm=on\\n", target: /orchard-extra.txt, partition: boot }
startupScripts:
  runOnce: [scripts/10-hello.sh, scripts/20-fail.sh]
  everyTime: [scripts/count.sh]
  resources: [scripts/ca.pem]
`,
    )
    result = await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), {
      outDir: path.join(dir, 'out'),
      cache: path.join(dir, 'cache'),
      onProgress: ({ phase, message }) => messages.push(`${phase}: ${message}`),
    })
    boot = extractPartition(result.image, 1, path.join(dir, 'boot.fat'))
    root = extractPartition(result.image, 2, path.join(dir, 'root.ext4'))
  }, 600_000)

  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('writes exactly the image, its checksum and build info, and the checksum verifies', async () => {
    expect((await readdir(path.join(dir, 'out'))).sort()).toEqual(['buildinfo.json', 'fleet-test.img', 'fleet-test.img.sha256'])
    expect(execFileSync('sha256sum', ['-c', 'fleet-test.img.sha256'], { cwd: path.join(dir, 'out'), encoding: 'utf8' })).toContain('fleet-test.img: OK')
    expect(sha256sum(result.image)).toBe(result.sha256)
  })

  it('leaves the cached source untouched', () => {
    expect(sha256sum(fixture)).toBe(fixtureSha)
  })

  it('keeps the partition table, and PARTUUIDs agree with cmdline.txt and fstab', () => {
    const before = sfdiskTable(fixture)
    const after = sfdiskTable(result.image)
    expect(after.id).toBe(before.id)
    const layout = (table: typeof before) => table.partitions.map(({ start, size, type }) => ({ start, size, type }))
    expect(layout(after)).toEqual(layout(before))
    const id = after.id.replace(/^0x/, '')
    expect(mtype(boot, '/cmdline.txt')).toContain(`root=PARTUUID=${id}-02`)
    const fstab = debugfs(root, 'cat /etc/fstab')
    expect(fstab).toMatch(new RegExp(`PARTUUID=${id}-01\\s+/boot/firmware\\s+vfat`))
    expect(fstab).toMatch(new RegExp(`PARTUUID=${id}-02\\s+/\\s+ext4`))
  })

  it('leaves both filesystems clean (fsck.fat -n, e2fsck -fn)', () => {
    const fat = fsckFat(boot)
    expect(fat.ok, fat.output).toBe(true)
    const ext = e2fsck(root)
    expect(ext.ok, ext.output).toBe(true)
  })

  it('puts the startup-scripts system on the boot partition', async () => {
    expect(mls(boot, '/startup-scripts')).toEqual(['every-time', 'failed', 'logs', 'ran-once', 'resources', 'run-once'])
    expect(mls(boot, '/startup-scripts/run-once')).toEqual(['10-hello.sh', '20-fail.sh', 'first_run_setup.sh'])
    expect(mls(boot, '/startup-scripts/every-time')).toEqual(['count.sh'])
    expect(mls(boot, '/startup-scripts/resources')).toEqual(['ca.pem'])
    expect(mtype(boot, '/startup-scripts/run-once/10-hello.sh')).toBe(await readFile(path.join(dir, 'scripts/10-hello.sh'), 'utf8'))
    expect(mtype(boot, '/orchard-extra.txt')).toBe('dtparam=i2c_arm=on\n')
    expect(mls(boot, '/')).not.toContain('ssh') // first_run_setup.sh alone turns sshd on, not also Raspberry Pi OS's switch
  })

  it('installs the runner and enables its unit in the root filesystem, with modes and owners', () => {
    expect(extStat(root, '/usr/local/lib/orchard/startup-runner')).toEqual({ type: 'regular', mode: 0o755, uid: 0, gid: 0 })
    expect(extStat(root, '/etc/systemd/system/orchard-startup.service')).toEqual({ type: 'regular', mode: 0o644, uid: 0, gid: 0 })
    expect(extStat(root, '/etc/systemd/system/multi-user.target.wants/orchard-startup.service')?.type).toBe('symlink')
    expect(debugfs(root, 'stat /etc/systemd/system/multi-user.target.wants/orchard-startup.service')).toContain('Fast link dest: "/etc/systemd/system/orchard-startup.service"')
    expect(debugfs(root, 'cat /usr/local/lib/orchard/startup-runner')).toBe(readFileSync(new URL('../../rootfs/usr/local/lib/orchard/startup-runner', import.meta.url), 'utf8'))
    expect(extStat(root, '/etc/motd')).toEqual({ type: 'regular', mode: 0o640, uid: 0, gid: 4 })
    expect(debugfs(root, 'cat /etc/motd')).toBe('managed by orchard\n')
  })

  it('records build info on the boot partition and beside the image, without secrets', async () => {
    const onBoot = JSON.parse(mtype(boot, '/buildinfo/buildinfo.json'))
    const beside = JSON.parse(await readFile(result.buildInfoFile, 'utf8'))
    expect(onBoot).toEqual(beside)
    expect(onBoot).toMatchObject({
      name: 'fleet-test',
      mode: 'quick',
      source: { sha256: fixtureSha },
      recipeSha256: recipeHash((await loadRecipe(path.join(dir, 'recipe.yml'))).recipe),
      release: { arch: 'arm64', bootMount: '/boot/firmware', init: 'systemd', network: 'ifupdown', wpaSupplicant: true },
    })
    expect(onBoot.customizations).toContain('user fleet (password (hashed), sudo, 1 SSH key)')
    expect(onBoot.customizations).toContain('wifi "OrchardNet" (country GB, key hashed)')
    expect(mtype(boot, '/buildinfo/buildinfo.txt')).toContain(`Source SHA256: ${fixtureSha}`)
  })

  it('puts no typed secret anywhere: not in the image, the build info or the build log', async () => {
    const image = await readFile(result.image)
    for (const secret of [PASSWORD, PASSPHRASE]) {
      for (const encoding of ['utf8', 'utf16le'] as const) expect(image.includes(Buffer.from(secret, encoding))).toBe(false)
      expect(await readFile(result.buildInfoFile, 'utf8')).not.toContain(secret)
      expect(messages.join('\n')).not.toContain(secret)
    }
  })

  describe.skipIf(process.getuid?.() !== 0 || !existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64'))('the runner, in a chroot of the built root fs (qemu-user)', () => {
    let mnt: string
    let rootCopy: string
    const scripts = () => path.join(mnt, 'boot/firmware/startup-scripts')
    const boot = (id: string) => spawnSync('unshare', ['--uts', 'chroot', mnt, '/usr/local/lib/orchard/startup-runner'], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ORCHARD_BOOT_ID: id },
      encoding: 'utf8',
      timeout: 300_000,
    })

    beforeAll(async () => {
      rootCopy = path.join(dir, 'root-rw.ext4')
      await cp(root, rootCopy)
      mnt = path.join(dir, 'mnt')
      await mkdir(mnt)
      execFileSync('mount', ['-o', 'loop', rootCopy, mnt])
      // The boot partition's files where the release mounts them (the kernel here has no vfat).
      execFileSync('mcopy', ['-s', '-n', '-i', path.join(dir, 'boot.fat'), '::/startup-scripts', path.join(mnt, 'boot/firmware/')])
    }, 120_000)

    afterAll(() => {
      if (mnt && spawnSync('mountpoint', ['-q', mnt]).status === 0) execFileSync('umount', [mnt])
    })

    it('first boot: run-once scripts run once and move, the failing one to failed/ with its log', () => {
      const run = boot('1111111111')
      expect(run.status, run.stderr).toBe(0)
      const s = scripts()
      expect(readdirSync(path.join(s, 'run-once'))).toEqual([])
      expect(readdirSync(path.join(s, 'ran-once')).sort()).toEqual(['10-hello.sh', 'first_run_setup.sh'])
      expect(readdirSync(path.join(s, 'failed')).sort()).toEqual(['20-fail.sh', '20-fail.sh.log'])
      expect(readFileSync(path.join(s, 'failed/20-fail.sh.log'), 'utf8')).toContain('about to fail')
      const logs = readdirSync(path.join(s, 'logs'))
      expect(logs).toHaveLength(1)
      const log = path.join(s, 'logs', logs[0]!)
      expect(readdirSync(log).sort()).toEqual(['10-hello.sh.log', '20-fail.sh.log', 'count.sh.log', 'first_run_setup.sh.log', 'runner.log'])
      expect(readFileSync(path.join(log, '10-hello.sh.log'), 'utf8')).toBe('hello from orchard-test\n')
      expect(readFileSync(path.join(log, 'runner.log'), 'utf8')).toMatch(/run-once exit=0 seconds=\d+ first_run_setup\.sh/)
      // Resources live in root-only storage from the first boot on (the card's copies are wiped).
      expect(readFileSync(path.join(mnt, 'var/lib/orchard/resources/count'), 'utf8').trim()).toBe('1')
      expect(existsSync(path.join(s, 'resources/ca.pem'))).toBe(false)
      expect(extStatOnHost(path.join(mnt, 'var/lib/orchard/resources/ca.pem'))).toEqual({ mode: 0o600, uid: 0, gid: 0 })
    })

    it('first_run_setup.sh applied the recipe, and its secrets were scrubbed after it ran', () => {
      const ran = readFileSync(path.join(scripts(), 'ran-once/first_run_setup.sh'), 'utf8')
      expect(ran).not.toMatch(/\$6\$/)
      expect(ran).toContain('orchard:scrubbed')
      expect(readFileSync(path.join(mnt, 'etc/hostname'), 'utf8')).toBe('orchard-test\n')
      const shadow = readFileSync(path.join(mnt, 'etc/shadow'), 'utf8').split('\n').find((line) => line.startsWith('fleet:'))!
      const hash = shadow.split(':')[1]!
      expect(execFileSync('openssl', ['passwd', '-6', '-salt', hash.split('$')[2]!, PASSWORD], { encoding: 'utf8' }).trim()).toBe(hash)
      const passwd = readFileSync(path.join(mnt, 'etc/passwd'), 'utf8').split('\n').find((line) => line.startsWith('fleet:'))!
      const [, , uid, gid, , home] = passwd.split(':')
      expect(readFileSync(path.join(mnt, home!, '.ssh/authorized_keys'), 'utf8')).toBe(`${SSH_KEY}\n`)
      expect(extStatOnHost(path.join(mnt, home!, '.ssh/authorized_keys'))).toEqual({ mode: 0o600, uid: Number(uid), gid: Number(gid) })
      expect(readFileSync(path.join(mnt, 'etc/group'), 'utf8')).toMatch(/^sudo:x:\d+:.*fleet/m)
      const wpa = readFileSync(path.join(mnt, 'etc/wpa_supplicant/wpa_supplicant.conf'), 'utf8')
      expect(wpa).toMatch(/psk=[0-9a-f]{64}\n/)
      expect(wpa).toContain('country=GB')
      expect(wpa).not.toContain(PASSPHRASE)
      expect(readFileSync(path.join(mnt, 'etc/network/interfaces.d/eth0'), 'utf8')).toContain('address 192.168.77.10/24')
      expect(readFileSync(path.join(mnt, 'etc/ssh/sshd_config.d/50-orchard.conf'), 'utf8')).toBe('PasswordAuthentication no\n')
      expect(readFileSync(path.join(mnt, 'etc/timezone'), 'utf8')).toBe('Europe/London\n')
    })

    it('second boot: every-time runs again, run-once and failed scripts do not', () => {
      const run = boot('2222222222')
      expect(run.status, run.stderr).toBe(0)
      const s = scripts()
      expect(readFileSync(path.join(mnt, 'var/lib/orchard/resources/count'), 'utf8').trim()).toBe('2')
      const logs = readdirSync(path.join(s, 'logs')).sort()
      expect(logs).toHaveLength(2)
      expect(readdirSync(path.join(s, 'logs', logs[1]!)).sort()).toEqual(['count.sh.log', 'runner.log'])
      expect(readdirSync(path.join(s, 'failed')).sort()).toEqual(['20-fail.sh', '20-fail.sh.log'])
    })
  })
})

function extStatOnHost(file: string): { mode: number; uid: number; gid: number } {
  const [mode, uid, gid] = execFileSync('stat', ['-c', '%a %u %g', file], { encoding: 'utf8' }).trim().split(' ')
  return { mode: Number.parseInt(mode!, 8), uid: Number(uid), gid: Number(gid) }
}
