/**
 * `orchard flash <stock image> --recipe … --devices …` through the real bin/orchard.js, on the
 * arm64 fixture: two image files, each with the recipe's first_run_setup.sh and its own
 * device.env, verified; the stock image unchanged; the same partition contents as a quick
 * build flashed the usual way; a recipe that needs ARM code refused with nothing written.
 * Cards are judged with mtools and debugfs, not with our own readers.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RUNNER_PATH, UNIT_NAME } from '../customize/runner-files'
import { recipeHash } from '../recipe/load'
import { debugfs, e2fsck, extractPartition, fsckFat, mls, mtype, sha256sum } from '../testing/disk-tools'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { EXIT } from '../cli/output'
import { loadFlashRecipe } from './customise-on-flash'
import type { CardRecord } from './records'

const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))
// A fixed salt: the same hash in both paths, so their cards can be compared byte for byte.
const HASH = '$6$orchardsalt$JG2Lt1BfdZdVqeqNHgKJZ6jAUndfTZzwLZYnu5gpMupYwF4SGKHXjxZURuGkaGdmBg2ApD7RouMoVVbKObpnC1'
const skip = fixtureUnavailableReason('arm64')
if (skip) console.log(`[customise-on-flash.int] skipped: ${skip}`)

describe.skipIf(skip)('orchard flash --recipe: a stock image customised on the way to the cards', () => {
  let dir: string
  let fixture: string
  let fixtureSha: string
  const env = () => ({ ...process.env, ORCHARD_CACHE_DIR: path.join(dir, 'cache'), ORCHARD_DATA_DIR: path.join(dir, 'data') })
  const orchard = (...args: string[]) => {
    const started = Date.now()
    const run = spawnSync(process.execPath, [ORCHARD, ...args], { encoding: 'utf8', env: env(), timeout: 300_000 })
    return { code: run.status, stdout: run.stdout, stderr: run.stderr, seconds: (Date.now() - started) / 1000 }
  }
  const records = (): CardRecord[] =>
    readFileSync(path.join(dir, 'data', 'flash-records.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as CardRecord)
  const card = (name: string) => path.join(dir, `${name}.img`)
  const boot = (image: string) => extractPartition(image, 1, `${image}.boot`)
  const root = (image: string) => extractPartition(image, 2, `${image}.root`)

  beforeAll(async () => {
    fixture = await testFixture('arm64')
    fixtureSha = sha256sum(fixture)
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-flash-recipe-'))
    await mkdir(path.join(dir, 'scripts'))
    await writeFile(path.join(dir, 'scripts/10-hello.sh'), '#!/bin/sh\necho "hello from $(cat /etc/hostname)"\n')
    const recipe = (extra = '', source = fixture) => `name: fleet
source: { path: ${source}, sha256: ${fixtureSha} }
arch: arm64
system: { hostname: fleet-default, timezone: Europe/London }
users:
  - { name: fleet, passwordHash: "${HASH}", sudo: true }
wifi: { ssid: OrchardNet, passphrase: wifi-passphrase-4417, country: GB }
files:
  - { content: "managed by orchard\\n", target: /etc/motd, mode: "0644" }
startupScripts:
  runOnce: [scripts/10-hello.sh]
${extra}`
    await writeFile(path.join(dir, 'recipe.yml'), recipe())
    // For the flash, the image on the command line is the source: the recipe's need not exist.
    await writeFile(path.join(dir, 'flash.yml'), recipe('', path.join(dir, 'not-here.img')))
    await writeFile(path.join(dir, 'arm.yml'), recipe('packages: [htop]\n'))
    await writeFile(path.join(dir, 'devices.csv'), 'hostname,site\npi-a,north\npi-b,south\n')
  }, 600_000)

  afterAll(() => rm(dir, { recursive: true, force: true }))

  let plainSeconds = 0
  let recipeSeconds = 0

  it('flashes two cards, each with the recipe and its own device.env, verified against the customised view', () => {
    const plain = orchard('flash', fixture, '--to', card('plain-a'), card('plain-b'))
    expect(plain.code, plain.stderr).toBe(0)
    plainSeconds = plain.seconds

    const run = orchard('flash', fixture, '--recipe', path.join(dir, 'flash.yml'), '--devices', path.join(dir, 'devices.csv'), '--to', card('a'), card('b'))
    expect(run.code, run.stderr).toBe(0)
    recipeSeconds = run.seconds
    console.log(`[customise-on-flash.int] fixture to 2 image files: plain ${plainSeconds.toFixed(1)} s, with the recipe ${recipeSeconds.toFixed(1)} s`)

    for (const [name, hostname, site] of [['a', 'pi-a', 'north'], ['b', 'pi-b', 'south']] as const) {
      const fat = boot(card(name))
      expect(mls(fat, '/startup-scripts/run-once')).toEqual(['10-hello.sh', 'first_run_setup.sh'])
      const setup = mtype(fat, '/startup-scripts/run-once/first_run_setup.sh')
      expect(setup).toContain('OrchardNet')
      expect(setup).toContain('fleet')
      const deviceEnv = mtype(fat, '/startup-scripts/device.env')
      expect(deviceEnv).toMatch(new RegExp(`^HOSTNAME=${hostname}$`, 'm'))
      expect(deviceEnv).toMatch(new RegExp(`^SITE=${site}$`, 'm'))
      expect(fsckFat(fat).ok).toBe(true)
      const ext = root(card(name))
      expect(debugfs(ext, 'cat /etc/motd')).toBe('managed by orchard\n')
      expect(debugfs(ext, `cat ${RUNNER_PATH}`)).toContain('startup-scripts')
      expect(e2fsck(ext).ok, e2fsck(ext).output).toBe(true)
    }
    // The plain cards hold none of it: the recipe went only where it was asked for.
    expect(mls(boot(card('plain-a')), '/')).not.toContain('startup-scripts')
  }, 600_000)

  it('records the source SHA256 and the recipe hash, each card verified', async () => {
    const withRecipe = records().filter((record) => record.recipeSha256)
    expect(withRecipe.map((record) => [path.basename(record.destination), record.hostname, record.ok, record.verified])).toEqual([
      ['a.img', 'pi-a', true, true],
      ['b.img', 'pi-b', true, true],
    ])
    const expected = recipeHash((await loadFlashRecipe(path.join(dir, 'flash.yml'))).loaded.recipe)
    for (const record of withRecipe) {
      expect(record.imageSha256).toBe(fixtureSha)
      expect(record.recipeSha256).toBe(expected)
    }
  })

  it('never changes the stock image, and leaves no edit list behind', () => {
    expect(sha256sum(fixture)).toBe(fixtureSha)
    const tmp = path.join(dir, 'cache', 'tmp')
    expect(existsSync(tmp) ? readdirSync(tmp).filter((name) => name.endsWith('.edits')) : []).toEqual([])
  })

  it('gives the same partition contents as a quick build flashed the usual way', () => {
    const build = orchard('build', path.join(dir, 'recipe.yml'), '--out', path.join(dir, 'out'), '--mode', 'quick')
    expect(build.code, build.stderr).toBe(0)
    const flash = orchard('flash', path.join(dir, 'out', 'fleet.img'), '--devices', path.join(dir, 'devices.csv'), '--to', card('built-a'))
    expect(flash.code, flash.stderr).toBe(0)
    console.log(`[customise-on-flash.int] quick build ${build.seconds.toFixed(1)} s + its flash to 1 file ${flash.seconds.toFixed(1)} s`)

    const tree = (image: string) => {
      const out = path.join(dir, `${path.basename(image)}.tree`)
      execFileSync('mcopy', ['-s', '-n', '-m', '-i', boot(image), '::/', out])
      const files: Record<string, string> = {}
      const walk = (folder: string) => {
        for (const name of readdirSync(folder)) {
          const full = path.join(folder, name)
          if (statSync(full).isDirectory()) walk(full)
          else files[path.relative(out, full)] = sha256sum(full)
        }
      }
      walk(out)
      // Build info names when and from which file it was made: the only boot files allowed to differ.
      for (const name of Object.keys(files)) if (name.startsWith('buildinfo/')) delete files[name]
      return files
    }
    const fromFlash = tree(card('a'))
    expect(Object.keys(fromFlash)).toContain('startup-scripts/run-once/first_run_setup.sh')
    expect(fromFlash).toEqual(tree(card('built-a')))

    const rootFiles = ['/etc/motd', RUNNER_PATH, `/etc/systemd/system/${UNIT_NAME}`]
    const [flashed, built] = [root(card('a')), root(card('built-a'))]
    for (const file of rootFiles) expect(debugfs(flashed, `cat ${file}`), file).toBe(debugfs(built, `cat ${file}`))
    expect(debugfs(flashed, `stat /etc/motd`).replace(/time:.*\n/g, '')).toMatch(/Mode:\s+0644/)
  }, 600_000)

  it('customises a compressed stock image (.img.xz) the same way; the record names the image\'s own SHA256', () => {
    execFileSync('sh', ['-c', `xz -T0 -0 -c '${fixture}' > '${dir}/stock.img.xz'`])
    const plain = orchard('flash', path.join(dir, 'stock.img.xz'), '--to', card('xz-plain-a'), card('xz-plain-b'))
    expect(plain.code, plain.stderr).toBe(0)
    const run = orchard('flash', path.join(dir, 'stock.img.xz'), '--recipe', path.join(dir, 'flash.yml'), '--devices', path.join(dir, 'devices.csv'), '--to', card('xz-a'), card('xz-b'))
    expect(run.code, run.stderr).toBe(0)
    console.log(`[customise-on-flash.int] fixture .img.xz to 2 image files: plain ${plain.seconds.toFixed(1)} s, with the recipe ${run.seconds.toFixed(1)} s`)
    const last = records().slice(-2)
    expect(last.map((record) => [path.basename(record.destination), record.ok, record.verified, record.imageSha256])).toEqual([
      ['xz-a.img', true, true, fixtureSha],
      ['xz-b.img', true, true, fixtureSha],
    ])
    expect(mls(boot(card('xz-b')), '/startup-scripts/run-once')).toEqual(['10-hello.sh', 'first_run_setup.sh'])
    // One build time from the source (build-time.ts), not the clock: the same recipe and source, flashed minutes apart, the same root bytes.
    expect(sha256sum(root(card('xz-a')))).toBe(sha256sum(root(card('a'))))
  }, 600_000)

  it('refuses a recipe that needs ARM code, naming why and the command that builds it, writing nothing', () => {
    const target = card('refused')
    const run = orchard('flash', fixture, '--recipe', path.join(dir, 'arm.yml'), '--to', target)
    expect(run.code).toBe(EXIT.usage)
    expect(run.stderr).toContain('This recipe needs ARM code to run (packages)')
    expect(run.stderr).toContain(`orchard build ${path.join(dir, 'arm.yml')} --out <dir> --mode docker`)
    expect(existsSync(target)).toBe(false)
  })
})
