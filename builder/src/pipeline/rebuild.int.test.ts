/**
 * `orchard rebuild` and full-build reproducibility (docs/reproducible.md). A full chroot
 * build of the fixture with one package, then its rebuild from buildinfo.json: the same
 * bytes (two full builds in a row, about 3-4 min each here, most of it apt under qemu and
 * writing the image; compression is left out, xz's determinism is reproducible.int's).
 * Quick builds show the rest: a changed recipe file is named by the diff, a missing recipe
 * or source is said by name.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage, type BuildResult } from './build'
import { rebuild, type RebuildResult } from '../cli/rebuild-command'
import { chrootUnavailableReason } from '../steps/chroot-executor'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { loadRecipe } from '../recipe/load'
import { sha256sum } from '../testing/disk-tools'
import { aptUnavailableReason } from '../testing/network'

const quickSkip = fixtureUnavailableReason('arm64')
const fullSkip = quickSkip ?? chrootUnavailableReason('arm64') ?? aptUnavailableReason()
if (quickSkip) console.log(`[rebuild.int] skipped: ${quickSkip}`)
else if (fullSkip) console.log(`[rebuild.int] full build skipped: ${fullSkip}`)

const dirs: string[] = []
afterAll(async () => {
  if (!process.env.ORCHARD_KEEP_TEST_DIRS) for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

/** A recipe folder with one startup script; `extra` is appended to the recipe. */
async function recipeDir(name: string, extra: string): Promise<string> {
  const fixture = await testFixture('arm64')
  const dir = await mkdtemp(path.join(os.tmpdir(), `orchard-rebuild-${name}-`))
  dirs.push(dir)
  await mkdir(path.join(dir, 'scripts'))
  await writeFile(path.join(dir, 'scripts/hello.sh'), '#!/bin/sh\necho hello\n')
  await writeFile(
    path.join(dir, 'recipe.yml'),
    `name: ${name}\nsource: { path: ${fixture}, sha256: ${sha256sum(fixture)} }\narch: arm64\noutputs: { image: { compress: none } }\nstartupScripts: { runOnce: [scripts/hello.sh] }\n${extra}`,
  )
  return dir
}

describe.skipIf(fullSkip)('a full build and its rebuild', () => {
  let first: BuildResult
  let again: RebuildResult

  beforeAll(async () => {
    const dir = await recipeDir('full', 'packages: [hello]\nsystem: { hostname: rebuilt }\n')
    first = await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache'), mode: 'chroot' })
    again = await rebuild(first.buildInfoFile, { cache: path.join(dir, 'cache') })
  }, 1_800_000)

  it('records the installed packages with their versions, the recipe file and the build time', () => {
    expect(first.buildInfo.packages?.['hello:arm64']).toMatch(/^\d/)
    expect(Object.keys(first.buildInfo.packages ?? {}).length).toBeGreaterThan(50)
    expect(first.buildInfo).toMatchObject({ mode: 'chroot', recipeFile: 'recipe.yml' })
  })

  it('is bit-identical when rebuilt in a row (same package versions)', () => {
    expect(again.packages).toEqual([])
    expect(again.warnings).toEqual([])
    expect(again.differences).toEqual([])
    expect(again.rebuilt.sha256).toBe(first.sha256)
    expect(sha256sum(again.rebuilt.image)).toBe(sha256sum(first.image))
    expect(again.identical).toBe(true)
  })
})

describe.skipIf(quickSkip)('rebuilding a quick build', () => {
  let dir: string
  let first: BuildResult

  beforeAll(async () => {
    dir = await recipeDir('quick', 'system: { hostname: quick-rebuilt }\n')
    first = await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache') })
  }, 600_000)

  it('gives the same image from buildinfo.json alone (the recipe found beside the out folder)', async () => {
    const again = await rebuild(first.buildInfoFile, { outDir: path.join(dir, 'again') })
    expect(again.identical).toBe(true)
    expect(again.rebuilt.sha256).toBe(first.sha256)
  }, 600_000)

  it('names the one file that differs after a recipe file changed', async () => {
    await writeFile(path.join(dir, 'scripts/hello.sh'), '#!/bin/sh\necho changed\n')
    const again = await rebuild(first.buildInfoFile, { outDir: path.join(dir, 'changed') })
    expect(again.identical).toBe(false)
    expect(again.differences.map((d) => `${d.kind} ${d.partition}:${d.path}`)).toEqual(['changed boot:/startup-scripts/run-once/hello.sh'])
    expect(again.warnings).toEqual([]) // the recipe itself is the same: only a file it names changed
  }, 600_000)

  it('says which is missing: the recipe, or the source', async () => {
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'orchard-rebuild-missing-'))
    dirs.push(elsewhere)
    await copyFile(first.buildInfoFile, path.join(elsewhere, 'buildinfo.json'))
    await copyFile(first.checksumFile, path.join(elsewhere, 'quick.img.sha256'))
    await expect(rebuild(path.join(elsewhere, 'buildinfo.json'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('The recipe recipe.yml named by build info is not at') })

    const recipe = path.join(elsewhere, 'recipe.yml')
    const gone = path.join(elsewhere, 'gone.img')
    await writeFile(recipe, `name: quick\nsource: { path: ${gone}, sha256: ${first.buildInfo.source.sha256} }\narch: arm64\n`)
    await expect(rebuild(path.join(elsewhere, 'buildinfo.json'), { recipe })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(gone) })
  }, 60_000)
})
