/**
 * Boot proof: images Orchard built and flashed boot on an emulated Raspberry Pi-class
 * machine (QEMU, arm64), and their startup scripts run. Everything is judged afterwards by
 * reading the disk from the host with mtools and debugfs.
 */
import { execFileSync } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage } from '../../pipeline/build'
import { flashImage } from '../../flash/write'
import { loadRecipe } from '../../recipe/load'
import { wifiPsk } from '../../recipe/crypt'
import { debugfs, extStat, extractPartition, mls, mtype, sha256sum } from '../disk-tools'
import { stringsInFile } from '../find-bytes'
import { findExecutable } from '../../util/tools'
import { bootableFixture } from './bootable-fixture'
import { bootImage, type BootResult } from './qemu'

const PASSWORD = 'boot-proof-password-4411'
// A device's own secrets: a wifi passphrase in its devices row and a key among its resources.
const DEVICE_SSID = 'Proof Net'
const DEVICE_PASSPHRASE = 'device-passphrase-8D3'
const deviceKey = (hostname: string) => `-----BEGIN PRIVATE KEY----- proof-device-key-${hostname}`
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb5vOa4UZmYn0yd1NFhL3G5oCt2sSzeT3Xrbf8fc3Ql boot@orchard'
const skip =
  process.getuid?.() !== 0 ? 'needs root (fixture build)' : !findExecutable('qemu-system-aarch64') ? 'qemu-system-aarch64 is not installed' : null
if (skip) console.log(`[boot] skipped: ${skip}`)

describe.skipIf(skip)('boot proof', () => {
  let dir: string
  let built: string

  /** Boots, prints how long it took, and requires a clean power-off. */
  async function boot(image: string, name: string): Promise<BootResult> {
    const result = await bootImage({ image, logFile: path.join(dir, `${name}.log`) })
    console.log(`[boot] ${name}: ${result.poweredOff ? 'powered off' : result.timedOut ? 'TIMED OUT' : 'stopped'} after ${result.seconds.toFixed(0)} s`)
    expect(result.timedOut, result.log.slice(-3000)).toBe(false)
    expect(result.poweredOff).toBe(true)
    return result
  }
  const part = (image: string, index: number, name: string) => extractPartition(image, index, path.join(dir, name))

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-boot-'))
    const fixture = await bootableFixture('arm64')
    await mkdir(path.join(dir, 'scripts'))
    const script = (name: string, body: string) => writeFile(path.join(dir, 'scripts', name), `#!/bin/sh\n${body}\n`)
    await script('10-hello.sh', 'mkdir -p "$ORCHARD_BOOT/proof"\necho "hello from $(cat /etc/hostname) at ${SITE:-no site}" | tee -a "$ORCHARD_BOOT/proof/hello.txt"')
    await script('20-fail.sh', 'echo "this one fails on purpose" >&2\nexit 3')
    await script('50-count.sh', 'mkdir -p "$ORCHARD_BOOT/proof"\necho boot >> "$ORCHARD_BOOT/proof/boots.txt"')
    // Last every-time script: power off once the runner is done (--no-block: let it finish first).
    await script('zz-poweroff.sh', 'systemctl --no-block poweroff')
    await writeFile(
      path.join(dir, 'recipe.yml'),
      `name: proof
source: { path: ${fixture}, sha256: ${sha256sum(fixture)} }
arch: arm64
system: { hostname: proof-host }
users: [{ name: fleet, password: ${PASSWORD}, sudo: true, sshKeys: ["${SSH_KEY}"] }]
ssh: { enable: true }
startupScripts:
  runOnce: [scripts/10-hello.sh, scripts/20-fail.sh]
  everyTime: [scripts/50-count.sh, scripts/zz-poweroff.sh]
`,
    )
    built = (await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache') })).image
  }, 1_800_000)

  afterAll(() => rm(dir, { recursive: true, force: true }))

  describe('a quick-built image', () => {
    let disk: string
    beforeAll(async () => {
      disk = path.join(dir, 'first.img')
      await copyFile(built, disk)
      await boot(disk, 'first boot')
    }, 900_000)

    it('ran first_run_setup.sh once, secrets scrubbed, and the recipe took effect', () => {
      const boot = part(disk, 1, 'b1.fat')
      const root = part(disk, 2, 'r1.ext4')
      expect(mls(boot, '/startup-scripts/run-once')).toEqual([])
      expect(mls(boot, '/startup-scripts/ran-once')).toEqual(['10-hello.sh', 'first_run_setup.sh'])
      const ran = mtype(boot, '/startup-scripts/ran-once/first_run_setup.sh')
      expect(ran).toContain('orchard:scrubbed')
      expect(ran).not.toMatch(/\$6\$/)
      expect(debugfs(root, 'cat /etc/hostname')).toBe('proof-host\n')
      const shadow = debugfs(root, 'cat /etc/shadow').split('\n').find((line) => line.startsWith('fleet:'))!
      const hash = shadow.split(':')[1]!
      expect(execFileSync('openssl', ['passwd', '-6', '-salt', hash.split('$')[2]!, PASSWORD], { encoding: 'utf8' }).trim()).toBe(hash)
      const home = debugfs(root, 'cat /etc/passwd').split('\n').find((line) => line.startsWith('fleet:'))!.split(':')[5]!
      expect(debugfs(root, `cat ${home}/.ssh/authorized_keys`)).toBe(`${SSH_KEY}\n`)
      expect(mtype(boot, '/proof/hello.txt')).toBe('hello from proof-host at no site\n')
    })

    it('kept the failing run-once script in failed/ with its log, and logged every script', () => {
      const boot = part(disk, 1, 'b1b.fat')
      expect(mls(boot, '/startup-scripts/failed')).toEqual(['20-fail.sh', '20-fail.sh.log'])
      expect(mtype(boot, '/startup-scripts/failed/20-fail.sh.log')).toContain('this one fails on purpose')
      const [log] = mls(boot, '/startup-scripts/logs')
      expect(mls(boot, `/startup-scripts/logs/${log}`)).toEqual(
        expect.arrayContaining(['10-hello.sh.log', '20-fail.sh.log', '50-count.sh.log', 'first_run_setup.sh.log', 'runner.log']),
      )
      expect(mtype(boot, '/proof/boots.txt')).toBe('boot\n')
    })

    it('on the second boot runs every-time scripts again and run-once scripts not', async () => {
      await boot(disk, 'second boot')
      const boot2 = part(disk, 1, 'b2.fat')
      expect(mtype(boot2, '/proof/boots.txt')).toBe('boot\nboot\n')
      expect(mtype(boot2, '/proof/hello.txt')).toBe('hello from proof-host at no site\n')
      expect(mls(boot2, '/startup-scripts/logs')).toHaveLength(2)
      expect(mls(boot2, '/startup-scripts/failed')).toEqual(['20-fail.sh', '20-fail.sh.log'])
    }, 900_000)
  })

  describe('two cards flashed from one image, each its own device', () => {
    const cards = ['card-one', 'card-two']
    const files = cards.map((name) => () => path.join(dir, `${name}.img`))

    beforeAll(async () => {
      const records = await flashImage({
        image: built,
        targets: files.map((file) => ({ kind: 'file', path: file() })),
        devices: cards.map((hostname, i) => ({
          hostname,
          variables: { HOSTNAME: hostname, SITE: `site-${i + 1}`, WIFI_SSID: DEVICE_SSID, WIFI_PSK: DEVICE_PASSPHRASE },
          files: { resources: { 'keys/device.key': deviceKey(hostname) } },
        })),
        cache: path.join(dir, 'cache'),
        recordsFile: path.join(dir, 'records.jsonl'),
      })
      expect(records.map((r) => r.ok)).toEqual([true, true])
      for (const [i, file] of files.entries()) await boot(file(), cards[i]!)
    }, 1_800_000)

    it.each(cards.map((name, i) => [name, i] as const))('%s booted with its own hostname, and its scripts saw its own variables', (name, i) => {
      const file = files[i]!()
      const root = part(file, 2, `${name}.ext4`)
      const boot = part(file, 1, `${name}.fat`)
      expect(debugfs(root, 'cat /etc/hostname')).toBe(`${name}\n`)
      expect(mtype(boot, '/proof/hello.txt')).toBe(`hello from ${name} at site-${i + 1}\n`)
      // device.env left the card for root-only storage at first boot.
      expect(mls(boot, '/startup-scripts')).not.toContain('device.env')
      expect(extStat(root, '/var/lib/orchard/device.env')).toEqual({ type: 'regular', mode: 0o600, uid: 0, gid: 0 })
      expect(debugfs(root, 'cat /var/lib/orchard/device.env')).toContain(`SITE=site-${i + 1}`)
    })

    it.each(cards.map((name, i) => [name, i] as const))('%s: left no secret on the card after first boot, and the device keeps its own in root-only storage', async (name, i) => {
      const file = files[i]!()
      const userHash = /\$6\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+/.exec(mtype(part(built, 1, 'built.fat'), '/startup-scripts/run-once/first_run_setup.sh'))![0]
      const psk = wifiPsk(DEVICE_SSID, DEVICE_PASSPHRASE)
      // Raw bytes of the FAT partition: free clusters and wiped files included.
      const fat = part(file, 1, `${name}-secrets.fat`)
      expect(await stringsInFile(fat, [DEVICE_PASSPHRASE, psk, deviceKey(name), userHash])).toEqual([])
      expect(await stringsInFile(file, [DEVICE_PASSPHRASE, PASSWORD])).toEqual([])
      const root = part(file, 2, `${name}-secrets.ext4`)
      expect(extStat(root, '/var/lib/orchard/resources/keys/device.key')).toMatchObject({ type: 'regular', mode: 0o600, uid: 0 })
      expect(debugfs(root, 'cat /var/lib/orchard/resources/keys/device.key')).toBe(deviceKey(name))
      expect(debugfs(root, 'cat /var/lib/orchard/device.env')).toContain(`WIFI_PSK=${psk}`)
    })
  })
})
