/**
 * Reproducible quick builds (docs/reproducible.md): the same recipe and source, built from two
 * temp folders, at two wall-clock times a month apart and in two time zones, give the same
 * bytes; SOURCE_DATE_EPOCH, when set, is the time of everything written.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildImage, type BuildResult } from './build'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { loadRecipe } from '../recipe/load'
import { RUNNER_PATH } from '../customize/runner-files'
import { debugfs, extractPartition, sha256sum } from '../testing/disk-tools'

const skipReason = fixtureUnavailableReason('arm64')
if (skipReason) console.log(`[reproducible.int] skipped: ${skipReason}`)

const EPOCH = 1700000000 // 2023-11-14T22:13:20Z

describe.skipIf(skipReason)('reproducible quick builds of the arm64 fixture', () => {
  const dirs: string[] = []
  const saved = { TZ: process.env.TZ, TMPDIR: process.env.TMPDIR, SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH }
  let first: BuildResult
  let second: BuildResult
  let pinned: BuildResult

  /** One build in a fresh temp folder (recipe, cache and output inside it), TMPDIR pointing into it. */
  async function build(env: { TZ: string; SOURCE_DATE_EPOCH?: string }, compress = 'xz'): Promise<BuildResult> {
    const fixture = await testFixture('arm64')
    const dir = await mkdtemp(path.join(saved.TMPDIR ?? os.tmpdir(), 'orchard-repro-'))
    dirs.push(dir)
    await mkdir(path.join(dir, 'tmp'))
    await mkdir(path.join(dir, 'scripts'))
    await writeFile(path.join(dir, 'scripts/hello.sh'), '#!/bin/sh\necho hello\n')
    await writeFile(
      path.join(dir, 'recipe.yml'),
      `name: repro
source: { path: ${fixture}, sha256: ${sha256sum(fixture)} }
arch: arm64
outputs: { image: { compress: ${compress} } }
system: { hostname: repro-test, timezone: Europe/Berlin }
users:
  - { name: fleet, password: Repro-Password-1, sudo: true }
wifi: { ssid: ReproNet, passphrase: repro-passphrase-99, country: DE }
files:
  - { content: "reproducible\\n", target: /etc/motd }
  - { content: "dtparam=i2c_arm=on\\n", target: /orchard-extra.txt, partition: boot }
startupScripts: { runOnce: [scripts/hello.sh] }
`,
    )
    process.env.TZ = env.TZ
    process.env.TMPDIR = path.join(dir, 'tmp')
    if (env.SOURCE_DATE_EPOCH) process.env.SOURCE_DATE_EPOCH = env.SOURCE_DATE_EPOCH
    else delete process.env.SOURCE_DATE_EPOCH
    try {
      return await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache') })
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
  }

  beforeAll(async () => {
    first = await build({ TZ: 'UTC' })
    // A month later by the wall clock, and on the other side of the world.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31 * 86400_000 + 3_723_000 })
    try {
      second = await build({ TZ: 'Pacific/Auckland' })
    } finally {
      vi.useRealTimers()
    }
    pinned = await build({ TZ: 'America/New_York', SOURCE_DATE_EPOCH: String(EPOCH) }, 'none')
  }, 600_000)

  afterAll(async () => {
    if (!process.env.ORCHARD_KEEP_TEST_DIRS) for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('gives bit-identical .img and .img.xz from two temp folders, clocks and time zones', () => {
    expect(second.sha256).toBe(first.sha256)
    expect(sha256sum(second.image)).toBe(sha256sum(first.image))
    expect(sha256sum(second.compressed!)).toBe(sha256sum(first.compressed!))
    expect(second.buildInfo).toEqual(first.buildInfo)
  })

  it('takes every timestamp it writes from SOURCE_DATE_EPOCH when set', () => {
    expect(pinned.buildInfo.builtAt).toBe(new Date(EPOCH * 1000).toISOString())
    expect(pinned.sha256).not.toBe(first.sha256)
    const dir = dirs.at(-1)!
    const root = extractPartition(pinned.image, 2, path.join(dir, 'root.ext4'))
    // A new file gets the time throughout; a replaced one keeps its creation and access times (the source's).
    const fields = { [RUNNER_PATH]: ['ctime', 'atime', 'mtime', 'crtime'], '/etc/motd': ['ctime', 'mtime'] }
    for (const [file, names] of Object.entries(fields)) {
      const stat = debugfs(root, `stat ${file}`)
      for (const field of names) expect(stat, `${file} ${field}`).toMatch(new RegExp(`(^|\\s)${field}: 0x${EPOCH.toString(16)}:`))
    }
    // FAT keeps local time with no zone: ours is UTC, so mtools in UTC shows the epoch's wall time.
    const boot = extractPartition(pinned.image, 1, path.join(dir, 'boot.fat'))
    const listing = execFileSync('mdir', ['-i', boot, '::/buildinfo'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } })
    expect(listing).toMatch(/JSO\s+\d+ 2023-11-14\s+22:13\s+buildinfo\.json/)
  })
})
