import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findRecipe, packageChanges, readRecordedBuild, recordedEpoch } from './rebuild'

const RECORD = {
  name: 'fleet',
  builder: { name: 'orchard', version: '0.1.0' },
  mode: 'chroot',
  builtAt: '2023-11-14T22:13:20.000Z',
  source: { path: 'base.img', sha256: 'a'.repeat(64) },
  recipeSha256: 'b'.repeat(64),
  recipeFile: 'fleet.yml',
}

describe('rebuild records', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-rebuild-unit-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('reads build info and gives its build time as SOURCE_DATE_EPOCH', async () => {
    const file = path.join(dir, 'buildinfo.json')
    await writeFile(file, JSON.stringify(RECORD))
    expect(recordedEpoch(await readRecordedBuild(file))).toBe(1700000000)
  })

  it('refuses what is not build info, naming the field', async () => {
    const file = path.join(dir, 'other.json')
    await writeFile(file, JSON.stringify({ ...RECORD, mode: 'magic' }))
    await expect(readRecordedBuild(file)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('mode') })
    await writeFile(file, 'not json')
    await expect(readRecordedBuild(file)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(readRecordedBuild(path.join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('finds the recipe beside build info or one folder up, else says where it looked', async () => {
    const out = path.join(dir, 'out')
    await mkdir(out)
    const file = path.join(out, 'buildinfo.json')
    expect(() => findRecipe(file, { ...RECORD, mode: 'chroot' })).toThrow(/fleet\.yml named by build info is not at .*out\/fleet\.yml or .*fleet\.yml: pass --recipe/)
    await writeFile(path.join(dir, 'fleet.yml'), 'name: fleet\n')
    expect(findRecipe(file, { ...RECORD, mode: 'chroot' })).toBe(path.join(out, '..', 'fleet.yml'))
    expect(() => findRecipe(file, { ...RECORD, mode: 'chroot' }, path.join(dir, 'nope.yml'))).toThrow(/nope\.yml does not exist/)
    const { recipeFile: _, ...older } = RECORD
    expect(() => findRecipe(file, { ...older, mode: 'chroot' })).toThrow(/names no recipe file/)
  })

  it('lists every package whose version differs from the record', () => {
    const recorded = { 'a:arm64': '1', 'b:arm64': '2', 'c:all': '3' }
    expect(packageChanges(recorded, { 'a:arm64': '1', 'b:arm64': '2.1', 'd:arm64': '4' })).toEqual([
      'b:arm64: recorded 2, now 2.1',
      'c:all: recorded 3, now not installed',
      'd:arm64: not recorded, now 4',
    ])
    expect(packageChanges(recorded, recorded)).toEqual([])
    expect(packageChanges(undefined, recorded)).toEqual([])
  })
})
