/**
 * Boot proof: images Orchard built and flashed boot on an emulated Raspberry Pi-class
 * machine (QEMU, arm64), and their startup scripts run. Everything is judged afterwards by
 * reading the disk from the host with mtools and debugfs.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient } from '@common/client'
import type { FlashFinished } from '@common/contract'
import { createCore } from '../../../../electron/core'
import { startBridge } from '../../../../electron/bridge/server'
import { buildImage } from '../../pipeline/build'
import type { CardRecord } from '../../flash/records'
import type { FlashDevice } from '../../flash/write'
import { loadRecipe, recipeHash } from '../../recipe/load'
import { attachLoop, detachLoop } from '../loop'
import { addTestDrives } from '../test-drives'
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
const ORCHARD = fileURLToPath(new URL('../../../../bin/orchard.js', import.meta.url))
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb5vOa4UZmYn0yd1NFhL3G5oCt2sSzeT3Xrbf8fc3Ql boot@orchard'
const skip =
  process.getuid?.() !== 0 ? 'needs root (fixture build)' : !findExecutable('qemu-system-aarch64') ? 'qemu-system-aarch64 is not installed' : null
if (skip) console.log(`[boot] skipped: ${skip}`)

describe.skipIf(skip)('boot proof', () => {
  let dir: string
  let built: string
  let recipeSha256: string

  /** Boots, prints how long it took, and requires a clean power-off. */
  async function boot(image: string, name: string, cpus?: number): Promise<BootResult> {
    // ORCHARD_BOOT_TIMEOUT_MS: more than the default 6 minutes, for a machine shared with other work.
    const result = await bootImage({ image, cpus, logFile: path.join(dir, `${name}.log`), timeoutMs: Number(process.env.ORCHARD_BOOT_TIMEOUT_MS) || undefined })
    console.log(`[boot] ${name}: ${result.poweredOff ? 'powered off' : result.timedOut ? 'TIMED OUT' : 'stopped'} after ${result.seconds.toFixed(0)} s`)
    expect(result.timedOut, result.log.slice(-3000)).toBe(false)
    expect(result.poweredOff).toBe(true)
    return result
  }
  const part = (image: string, index: number, name: string) => extractPartition(image, index, path.join(dir, name))

  /** The recipe's user, read from a booted card's root: the password hash matches PASSWORD, the SSH key is in place. */
  function expectRecipeUser(root: string): void {
    const shadow = debugfs(root, 'cat /etc/shadow').split('\n').find((line) => line.startsWith('fleet:'))!
    const hash = shadow.split(':')[1]!
    expect(execFileSync('openssl', ['passwd', '-6', '-salt', hash.split('$')[2]!, PASSWORD], { encoding: 'utf8' }).trim()).toBe(hash)
    const home = debugfs(root, 'cat /etc/passwd').split('\n').find((line) => line.startsWith('fleet:'))!.split(':')[5]!
    expect(debugfs(root, `cat ${home}/.ssh/authorized_keys`)).toBe(`${SSH_KEY}\n`)
  }

  /**
   * The app's path for one card: core's flash.start with the stock image and the recipe, over the
   * loopback bridge; the writer process (as for any drive) writes `backing` through a loop device.
   */
  async function flashThroughApp(image: string, backing: string, device: FlashDevice): Promise<CardRecord[]> {
    const loop = attachLoop(backing)
    const removeTestDrive = await addTestDrives([loop])
    const saved = process.env.ORCHARD_TEST_DRIVES
    process.env.ORCHARD_TEST_DRIVES = loop
    const core = createCore({ runtime: { name: 'orchard', version: '0', runtime: 'node' }, cache: path.join(dir, 'cache'), recordsFile: path.join(dir, 'app-records.jsonl') })
    const bridge = await startBridge(core)
    try {
      const client = createClient(createBridgeTransport(bridge.origin, bridge.token, WebSocket))
      const finished = new Promise<FlashFinished>((resolve) => client.on('flash.finished', resolve))
      await client.call('flash.start', { image, recipe: path.join(dir, 'recipe.yml'), targets: [{ kind: 'drive', device: loop }], devices: [device], verify: true })
      const end = await finished
      expect(end.error).toBeUndefined()
      return end.records
    } finally {
      await core.flash.idle()
      core.stop()
      await bridge.close()
      await removeTestDrive()
      detachLoop(loop)
      process.env.ORCHARD_TEST_DRIVES = saved
    }
  }

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
    const loaded = await loadRecipe(path.join(dir, 'recipe.yml'))
    recipeSha256 = recipeHash(loaded.recipe)
    built = (await buildImage(loaded, { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache') })).image
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
      expectRecipeUser(root)
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

  /**
   * Two cards straight from the stock fixture, customised on the way (no image built), each its
   * own device: one by the CLI (`orchard flash <stock> --recipe … --devices devices.csv`, an image
   * file), one through the app's path (core's flash.start with the recipe over the bridge, the
   * real writer process writing a loop device). The boots these replace proved a built image
   * flashed with device files; the quick-built image above still boots, and the integration test
   * customise-on-flash.int.test.ts shows both ways give the same partition contents.
   */
  describe('two cards customised on the way from the stock image, each its own device: one by the CLI, one through the app', () => {
    const cards = ['card-one', 'card-two']
    const file = (i: number) => path.join(dir, `${cards[i]}.img`)
    /** The user's password hash each card carried before its first boot (sealed per flash, so per card). */
    const userHashes: string[] = []

    beforeAll(async () => {
      const fixture = await bootableFixture('arm64')
      const started = Date.now()
      // The CLI: a devices.csv carries variables (no resources); the card is an image file.
      await writeFile(path.join(dir, 'devices.csv'), `hostname,site,wifi ssid,wifi psk\ncard-one,site-1,${DEVICE_SSID},${DEVICE_PASSPHRASE}\n`)
      const cli = spawnSync(process.execPath, [ORCHARD, 'flash', fixture, '--recipe', path.join(dir, 'recipe.yml'), '--devices', path.join(dir, 'devices.csv'), '--to', file(0)], {
        encoding: 'utf8',
        env: { ...process.env, ORCHARD_CACHE_DIR: path.join(dir, 'cache'), ORCHARD_DATA_DIR: path.join(dir, 'data') },
        timeout: 600_000,
      })
      expect(cli.status, cli.stderr).toBe(0)
      const cliRecord = JSON.parse(readFileSync(path.join(dir, 'data', 'flash-records.jsonl'), 'utf8').trim()) as CardRecord
      expect([cliRecord.hostname, cliRecord.ok, cliRecord.verified, cliRecord.recipeSha256]).toEqual(['card-one', true, true, recipeSha256])
      const cliSeconds = (Date.now() - started) / 1000

      // The app's path: core over the bridge, the writer process on a loop device as big as the image.
      execFileSync('truncate', ['-s', String(statSync(fixture).size), file(1)])
      const records = await flashThroughApp(fixture, file(1), {
        hostname: 'card-two',
        variables: { SITE: 'site-2', WIFI_SSID: DEVICE_SSID, WIFI_PSK: DEVICE_PASSPHRASE },
        files: { resources: { 'keys/device.key': deviceKey('card-two') } },
      })
      expect(records.map((r) => [r.hostname, r.kind, r.ok, r.verified, r.recipeSha256])).toEqual([['card-two', 'drive', true, true, recipeSha256]])
      console.log(`[boot] customised on the way: CLI card ${cliSeconds.toFixed(0)} s, app card ${((Date.now() - started) / 1000 - cliSeconds).toFixed(0)} s`)

      for (const [i, name] of cards.entries()) {
        userHashes.push(/\$6\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+/.exec(mtype(part(file(i), 1, `${name}-before.fat`), '/startup-scripts/run-once/first_run_setup.sh'))![0])
      }
      // Side by side, one CPU each (qemu.ts `cpus`): two guests keep the two cores busier than one after the other.
      await Promise.all(cards.map((name, i) => boot(file(i), name, 1)))
    }, 1_800_000)

    it.each(cards.map((name, i) => [name, i] as const))('%s booted with the recipe applied (user, password, SSH key, startup scripts)', (name, i) => {
      const boot = part(file(i), 1, `${name}-recipe.fat`)
      expect(mls(boot, '/startup-scripts/ran-once')).toEqual(['10-hello.sh', 'first_run_setup.sh'])
      expectRecipeUser(part(file(i), 2, `${name}-recipe.ext4`))
    })

    it.each(cards.map((name, i) => [name, i] as const))('%s booted with its own hostname, and its scripts saw its own variables', (name, i) => {
      const root = part(file(i), 2, `${name}.ext4`)
      const boot = part(file(i), 1, `${name}.fat`)
      expect(debugfs(root, 'cat /etc/hostname')).toBe(`${name}\n`)
      expect(mtype(boot, '/proof/hello.txt')).toBe(`hello from ${name} at site-${i + 1}\n`)
      // device.env left the card for root-only storage at first boot.
      expect(mls(boot, '/startup-scripts')).not.toContain('device.env')
      expect(extStat(root, '/var/lib/orchard/device.env')).toEqual({ type: 'regular', mode: 0o600, uid: 0, gid: 0 })
      expect(debugfs(root, 'cat /var/lib/orchard/device.env')).toContain(`SITE=site-${i + 1}`)
    })

    it.each(cards.map((name, i) => [name, i] as const))('%s: left no secret on the card after first boot, and the device keeps its own in root-only storage', async (name, i) => {
      const psk = wifiPsk(DEVICE_SSID, DEVICE_PASSPHRASE)
      // Raw bytes of the FAT partition: free clusters and wiped files included.
      const fat = part(file(i), 1, `${name}-secrets.fat`)
      expect(await stringsInFile(fat, [DEVICE_PASSPHRASE, psk, deviceKey(name), userHashes[i]!])).toEqual([])
      expect(await stringsInFile(file(i), [DEVICE_PASSPHRASE, PASSWORD])).toEqual([])
      const root = part(file(i), 2, `${name}-secrets.ext4`)
      expect(debugfs(root, 'cat /var/lib/orchard/device.env')).toContain(`WIFI_PSK=${psk}`)
      if (name === 'card-two') {
        // Resources come through the app's devices (a devices.csv carries variables only).
        expect(extStat(root, '/var/lib/orchard/resources/keys/device.key')).toMatchObject({ type: 'regular', mode: 0o600, uid: 0 })
        expect(debugfs(root, 'cat /var/lib/orchard/resources/keys/device.key')).toBe(deviceKey(name))
      }
    })
  })
})
