/** Packing's pure parts (build ids, zip paths, the sealed recipe's data), and what packing refuses to carry. */
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sealRecipe } from '../../recipe/secrets'
import { parseRecipe, parseRecipeYaml } from '../../recipe/load'
import { unpackBuildZip } from '../worker/unpack-build-zip'
import { newBuildId, packBuildZip, sealedRecipeData, zipPathFor } from './pack-build-zip'
import YAML from 'yaml'

describe('zipPathFor', () => {
  it('keeps paths under the recipe folder and numbers the ones outside, keeping their names', () => {
    let n = 0
    const next = () => ++n
    const base = path.resolve('/home/me/project')
    expect(zipPathFor(base, 'scripts/a.sh', next)).toBe('files/scripts/a.sh')
    expect(zipPathFor(base, './b.sh', next)).toBe('files/b.sh')
    expect(zipPathFor(base, '../shared/ca.pem', next)).toBe('outside/1/ca.pem')
    expect(zipPathFor(base, '/etc/ssl/ca.pem', next)).toBe('outside/2/ca.pem')
    expect(zipPathFor(base, '..foo/x', next)).toBe('files/..foo/x')
  })
})

describe('sealedRecipeData', () => {
  it('is a valid recipe again, with hashes in place of secrets and paths rewritten', () => {
    const recipe = parseRecipe({
      name: 'r',
      source: { path: 'base.img', sha256: 'a'.repeat(64) },
      arch: 'arm64',
      users: [{ name: 'pi', password: 'plain-password' }, { name: 'keys' }],
      wifi: { ssid: 'Net', passphrase: 'plain-passphrase', country: 'GB' },
      files: [{ source: 'motd', target: '/etc/motd', mode: '0600' }],
      firstBoot: ['first.sh'],
    })
    const data = sealedRecipeData(sealRecipe(recipe), (field, file) => `zip/${field}/${file}`)
    const text = YAML.stringify(data)
    expect(text).not.toContain('plain-password')
    expect(text).not.toContain('plain-passphrase')
    const again = parseRecipeYaml(text)
    expect(again.users[0]!.passwordHash).toMatch(/^\$6\$/)
    expect(again.users[1]).not.toHaveProperty('passwordHash')
    expect(again.wifi!.psk).toMatch(/^[a-f0-9]{64}$/)
    expect(again.source.path).toBe('zip/source.path/base.img')
    expect(again.files[0]).toMatchObject({ source: 'zip/files[0].source/motd', mode: '0600' })
    expect(again.firstBoot).toEqual(['zip/firstBoot[0]/first.sh'])
  })
})

describe('newBuildId', () => {
  it('sorts by time', () => {
    expect(newBuildId(new Date('2025-12-31T23:59:58Z'))).toMatch(/^20251231-235958-[0-9a-f]{8}$/)
    expect(newBuildId(new Date('2025-01-01T00:00:00Z')) < newBuildId(new Date('2025-01-01T00:00:01Z'))).toBe(true)
  })
})

describe('packBuildZip and the recipe folder (recipe/recipe-files.ts)', () => {
  let top: string
  let project: string
  const image = Buffer.alloc(4096, 7)
  const imageSha = createHash('sha256').update(image).digest('hex')
  beforeAll(async () => {
    top = await mkdtemp(path.join(os.tmpdir(), 'orchard-pack-confined-'))
    project = path.join(top, 'project')
    await mkdir(project)
    await mkdir(path.join(top, 'keys'))
    await writeFile(path.join(top, 'keys', 'id_ed25519'), 'PRIVATE KEY\n')
    await writeFile(path.join(project, 'base.img'), image)
    await symlink(path.join(top, 'keys', 'id_ed25519'), path.join(project, 'notes.txt'))
  })
  afterAll(() => rm(top, { recursive: true, force: true }))

  const loaded = (extra: Record<string, unknown>, sha256 = imageSha) => ({
    recipe: parseRecipe({ name: 'r', source: { path: 'base.img', sha256 }, arch: 'arm64', ...extra }),
    baseDir: project,
  })

  it('refuses a file outside the folder (here a link to a private key) and writes no zip', async () => {
    const dest = path.join(top, 'out', 'a.zip')
    await expect(packBuildZip(loaded({ files: [{ source: 'notes.txt', target: '/etc/motd' }] }), { dest, runner: false })).rejects.toMatchObject({
      code: 'INVALID_RECIPE',
      detail: { problems: [{ path: 'files[0].source' }] },
    })
    await expect(stat(dest)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('packs a file under a folder the recipe allows, and the archive recipe no longer names that folder', async () => {
    const dest = path.join(top, 'out', 'b.zip')
    const packed = await packBuildZip(loaded({ allowFilesOutside: ['../keys'], startupScripts: { resources: ['../keys/id_ed25519'] } }), { dest, runner: false })
    expect(packed.manifest.files.map((file) => file.path)).toEqual(['files/base.img', 'outside/1/id_ed25519'])
    const unpacked = await unpackBuildZip(dest, path.join(top, 'unpacked'))
    expect(unpacked.recipe.allowFilesOutside).toBeUndefined()
    expect(unpacked.recipe.startupScripts.resources).toEqual(['outside/1/id_ed25519'])
  })

  it('refuses a source image whose SHA256 does not match (it may come from anywhere only because the hash pins it)', async () => {
    const dest = path.join(top, 'out', 'c.zip')
    await expect(packBuildZip(loaded({}, 'ab'.repeat(32)), { dest, runner: false })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' })
    expect(await readdir(path.join(top, 'out'))).not.toContain('c.zip')
    expect((await readdir(path.join(top, 'out'))).filter((name) => name.includes('partial'))).toEqual([])
  })
})
