/**
 * The release matrix (issue 15, docs/releases.md): one full recipe built onto a fixture shaped
 * like each Raspberry Pi OS release, booted in QEMU (-M virt, cortex-a72, a restricted user
 * network), then judged from the host: every setting in effect (the guest's own report, written
 * to the boot partition), first_run_setup.sh ran once and nothing failed, cloud-init finished
 * without errors where it runs, and no secret left in plain text. The generated user-data and
 * network-config are also checked by the image's own `cloud-init schema` under qemu-user.
 * Fixtures are built on first use and cached by content hash (fixture/release-fixture.ts).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureEnvironmentProblem } from '../../fixture/host'
import { FIRSTBOOT_INIT } from '../../fixture/pi-files'
import { releaseFixturePath } from '../../fixture/release-fixture'
import { RELEASE_FIXTURES } from '../../fixture/release-specs'
import { aptUnavailableReason } from '../network'
import { buildImage } from '../../pipeline/build'
import { loadRecipe } from '../../recipe/load'
import { wifiPsk } from '../../recipe/crypt'
import { debugfs, extractPartition, mls, mtype, sha256sum } from '../disk-tools'
import { stringsInFile } from '../find-bytes'
import { imageCloudInitSchema, type SchemaResult } from '../image-cloud-init'
import { bootableFixture, bootableReleaseFixture } from './bootable-fixture'
import { bootEnvironmentProblem, bootImage } from './qemu'
import {
  expectedState, MATRIX_PASSPHRASE, MATRIX_PASSWORD, MATRIX_SSH_KEY, MATRIX_SSID, parseState, writeMatrixRecipe,
} from './release-matrix'

interface Cell {
  name: string
  arch: 'arm64' | 'armhf'
  shape: string
  image: () => Promise<string>
  /** Where the wifi setting must land in the root fs. */
  wifiFile: string
  cloudInit: boolean
  /** A cmdline.txt word the release's own first-boot hook removes once it ran (Bookworm's firstboot). */
  firstBootWord?: string
  /** Not a release: run only when named (ORCHARD_MATRIX). */
  onRequest?: boolean
}

/**
 * Kernel command line words for the matrix boots. Emulated on a busy machine, udev's coldplug can take
 * longer than systemd's default 90 s wait for the boot partition's device, and the boot would end in
 * emergency mode: wait longer instead (device_timeout from systemd 250; Bullseye's 247 takes the
 * start timeout, which device jobs use there).
 */
const LEAN_BOOT = ['systemd.default_device_timeout_sec=600', 'systemd.default_timeout_start_sec=600']

const NM_WIFI = '/etc/NetworkManager/system-connections/orchard-wifi.nmconnection'

const progress = (name: string) => (line: string) => console.log(`[matrix ${name}] ${line}`)

const CELLS: Cell[] = [
  {
    name: 'trixie-cloud-init', arch: 'arm64', shape: 'trixie-cloud-init', cloudInit: true, wifiFile: '/etc/netplan/50-cloud-init.yaml',
    image: () => bootableReleaseFixture('trixie-cloud-init', { onProgress: progress('trixie-cloud-init') }),
  },
  {
    name: 'trixie-firstrun', arch: 'arm64', shape: 'firstrun', cloudInit: false, wifiFile: NM_WIFI,
    image: () => bootableReleaseFixture('trixie-firstrun', { onProgress: progress('trixie-firstrun') }),
  },
  {
    name: 'bookworm', arch: 'arm64', shape: 'firstrun', cloudInit: false, wifiFile: NM_WIFI, firstBootWord: FIRSTBOOT_INIT,
    image: () => bootableReleaseFixture('bookworm', { onProgress: progress('bookworm') }),
  },
  {
    name: 'bullseye', arch: 'armhf', shape: 'bullseye', cloudInit: false, wifiFile: '/etc/wpa_supplicant/wpa_supplicant.conf',
    image: () => bootableReleaseFixture('bullseye', { onProgress: progress('bullseye') }),
  },
  {
    // The plain Debian fixture of the other tests (fixture/spec.ts): the generic shape. Not a
    // Raspberry Pi OS release, so only on request (ORCHARD_MATRIX=all or generic).
    name: 'generic', arch: 'arm64', shape: 'generic', cloudInit: false, wifiFile: '/etc/wpa_supplicant/wpa_supplicant.conf', onRequest: true,
    image: () => bootableFixture('arm64', { onProgress: progress('generic') }),
  },
]

// npm test runs the cells not marked onRequest; ORCHARD_MATRIX=all runs every cell, or names cells (a,b).
const chosen = process.env.ORCHARD_MATRIX?.split(',')
const cells = CELLS.filter((cell) => (chosen?.includes('all') ? true : chosen ? chosen.includes(cell.name) : !cell.onRequest))
const uncached = RELEASE_FIXTURES.filter((name) => cells.some((cell) => cell.name === name) && !fs.existsSync(releaseFixturePath(name)))
const skip =
  bootEnvironmentProblem() ?? (process.getuid?.() !== 0 ? 'needs root (fixture build, loop mount)' : null) ?? fixtureEnvironmentProblem() ??
  (uncached.length && aptUnavailableReason() ? `${uncached.join(', ')} not cached: ${aptUnavailableReason()}` : null)
if (skip) console.log(`[matrix] skipped: ${skip}`)

interface Prepared {
  dir: string
  built: string
  disk: string
  schema: Record<string, SchemaResult>
  seed: { userData: string; networkConfig: string } | null
}

/** Two builds and boots at a time, one emulated CPU each (qemu.ts `cpus`): two guests keep the two cores busier than one guest with two CPUs. */
const bootTurn = semaphore(2)

/** Build and boot of one cell, once its fixture is there. */
async function prepare(cell: Cell, fixtureReady: Promise<string>): Promise<Prepared> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `orchard-matrix-${cell.name}-`))
  const part = (image: string, index: number, name: string) => extractPartition(image, index, path.join(dir, name))
  const started = Date.now()
  const fixture = await fixtureReady
  console.log(`[matrix ${cell.name}] fixture ready in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return bootTurn(async () => {
    const recipe = await writeMatrixRecipe(dir, cell.name, fixture, sha256sum(fixture), cell.arch)
    const { image: built } = await buildImage(await loadRecipe(recipe), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache') })
    let schema: Record<string, SchemaResult> = {}
    let seed: Prepared['seed'] = null
    if (cell.cloudInit) {
      const builtBoot = part(built, 1, 'built.fat')
      seed = { userData: mtype(builtBoot, '/user-data'), networkConfig: mtype(builtBoot, '/network-config') }
      schema = await imageCloudInitSchema(part(built, 2, 'built.ext4'), { 'cloud-config': seed.userData, 'network-config': seed.networkConfig })
    }
    const disk = path.join(dir, 'disk.img')
    await copyFile(built, disk)
    const boot = await bootImage({
      image: disk, cpu: 'cortex-a72', cpus: 1, network: true, logFile: path.join(dir, 'console.log'), timeoutMs: 10 * 60_000, extraCmdline: LEAN_BOOT,
    })
    console.log(`[matrix ${cell.name}] boot: ${boot.poweredOff ? 'powered off' : boot.timedOut ? 'TIMED OUT' : 'stopped'} after ${boot.seconds.toFixed(0)} s`)
    if (!boot.poweredOff) throw new Error(`${cell.name}: the boot ${boot.timedOut ? 'timed out' : 'stopped'} without powering off; console ends:\n${boot.log.slice(-4000)}`)
    return { dir, built, disk, schema, seed }
  })
}

/**
 * Every cell's preparation, started by the first cell that asks: all fixtures at once (cold, each
 * family's debootstrap waits on the network part of the time), each cell's build and boot as
 * soon as its fixture is there and a turn is free.
 */
let preparing: Map<string, Promise<Prepared>> | null = null
function prepared(cell: Cell): Promise<Prepared> {
  if (!preparing) {
    const images = cells.map((each) => each.image())
    for (const image of images) image.catch(() => undefined)
    const runs = cells.map((each, index) => prepare(each, images[index]!))
    // Each cell's own beforeAll reports its failure; until it awaits, a rejection is not "unhandled".
    for (const run of runs) run.catch(() => undefined)
    preparing = new Map(runs.map((run, index) => [cells[index]!.name, run]))
  }
  return preparing.get(cell.name)!
}

/** At most `limit` holders at a time; the next waiting one goes as soon as any lets go. */
function semaphore(limit: number): <R>(work: () => Promise<R>) => Promise<R> {
  let free = limit
  const waiting: (() => void)[] = []
  const acquire = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)))
  const release = () => (waiting.length ? waiting.shift()!() : free++)
  return (work) => acquire().then(work).finally(release)
}

describe.skipIf(skip).each(cells)('release matrix: $name', (cell) => {
  let dir: string
  let built: string
  let disk: string
  let schema: Record<string, SchemaResult> = {}
  let seed: Prepared['seed'] = null
  const part = (image: string, index: number, name: string) => extractPartition(image, index, path.join(dir, name))

  beforeAll(async () => {
    ;({ dir, built, disk, schema, seed } = await prepared(cell))
  }, 3_600_000)

  afterAll(async () => {
    // ORCHARD_MATRIX_KEEP=1 keeps the console log, recipe and disks for a look afterwards.
    if (dir && !process.env.ORCHARD_MATRIX_KEEP) await rm(dir, { recursive: true, force: true })
    else if (dir) console.log(`[matrix ${cell.name}] kept ${dir}`)
  })

  it('is detected as its shape', () => {
    const info = mtype(part(built, 1, 'info.fat'), '/buildinfo/buildinfo.txt')
    expect(info).toContain(`First boot:    shape ${cell.shape},`)
  })

  it.runIf(cell.cloudInit)("the generated user-data and network-config pass the image's own cloud-init schema", () => {
    expect(seed?.userData).toMatch(/^#cloud-config/)
    expect(schema['cloud-config']?.output).toMatch(/Valid schema/)
    expect(schema['cloud-config']?.ok, schema['cloud-config']?.output).toBe(true)
    expect(schema['network-config']?.ok, schema['network-config']?.output).toBe(true)
  })

  it(`ran first_run_setup.sh and the run-once script once; nothing failed${cell.firstBootWord ? '; the release\'s own first-boot hook ran too' : ''}`, () => {
    const boot = part(disk, 1, 'b.fat')
    expect(mls(boot, '/startup-scripts/run-once')).toEqual([])
    expect(mls(boot, '/startup-scripts/ran-once')).toEqual(['10-once.sh', 'first_run_setup.sh'])
    if (mls(boot, '/startup-scripts').includes('failed')) expect(mls(boot, '/startup-scripts/failed')).toEqual([])
    expect(mtype(boot, '/proof/once.txt')).toBe(`once on matrix-${cell.name}\n`)
    if (cell.firstBootWord) {
      expect(mtype(part(built, 1, 'before.fat'), '/cmdline.txt')).toContain(cell.firstBootWord)
      expect(mtype(boot, '/cmdline.txt')).not.toContain(cell.firstBootWord)
    }
  })

  it('every setting is in effect', () => {
    const boot = part(disk, 1, 's.fat')
    const root = part(disk, 2, 's.ext4')
    const state = parseState(mtype(boot, '/proof/state.txt'))
    console.log(`[matrix ${cell.name}] state: ${JSON.stringify(state)}`)
    if (state['ssh-active'] !== 'active' && mls(boot, '/proof').includes('ssh-status.txt')) console.log(`[matrix ${cell.name}] ssh:\n${mtype(boot, '/proof/ssh-status.txt')}`)
    for (const [key, want] of Object.entries(expectedState(cell.name))) {
      if (typeof want === 'string') expect(state[key], key).toBe(want)
      else expect(state[key], key).toMatch(want)
    }
    const shadow = debugfs(root, 'cat /etc/shadow').split('\n').find((line) => line.startsWith('fleet:'))!
    const hash = shadow.split(':')[1]!
    expect(execFileSync('openssl', ['passwd', '-6', '-salt', hash.split('$')[2]!, MATRIX_PASSWORD], { encoding: 'utf8' }).trim()).toBe(hash)
    const home = debugfs(root, 'cat /etc/passwd').split('\n').find((line) => line.startsWith('fleet:'))!.split(':')[5]!
    expect(debugfs(root, `cat ${home}/.ssh/authorized_keys`)).toContain(MATRIX_SSH_KEY)
    const wifi = debugfs(root, `cat ${cell.wifiFile}`)
    expect(wifi, cell.wifiFile).toContain(wifiPsk(MATRIX_SSID, MATRIX_PASSPHRASE))
    const config = mtype(boot, '/config.txt')
    expect(config).toContain('dtparam=i2c_arm=on')
    expect(config).toContain('dtparam=spi=on')
  })

  it.runIf(cell.cloudInit)('cloud-init finished without errors', () => {
    const root = part(disk, 2, 'ci.ext4')
    const result = JSON.parse(debugfs(root, 'cat /var/lib/cloud/data/result.json')) as { v1: { datasource: string; errors: string[] } }
    expect(result.v1.errors).toEqual([])
    expect(result.v1.datasource).toMatch(/NoCloud/)
    expect(mtype(part(disk, 1, 'ci.fat'), '/cmdline.txt')).toContain('cfg80211.ieee80211_regdom=DE')
  })

  it('left no secret in plain text on the card', async () => {
    const userHash = /\$6\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+/.exec(debugfs(part(disk, 2, 'x.ext4'), 'cat /etc/shadow'))![0]
    const psk = wifiPsk(MATRIX_SSID, MATRIX_PASSPHRASE)
    expect(await stringsInFile(disk, [MATRIX_PASSWORD, MATRIX_PASSPHRASE])).toEqual([])
    // The boot partition's raw bytes, free clusters included: the seed and first_run_setup.sh were
    // wiped, and userconf.txt (deleted unwiped by userconf-pi) never held the hash.
    expect(await stringsInFile(part(disk, 1, 'x.fat'), [userHash, psk])).toEqual([])
  })
})
