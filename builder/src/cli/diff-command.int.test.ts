/**
 * `orchard diff` on copies of the fixture edited with our own writers: it names exactly the
 * files that differ, on both partitions, and says how (content, mode, owner, link target).
 */
import { spawnSync } from 'node:child_process'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffImages } from './diff-command'
import { extSymlink, extWriteFile, withExt } from '../image/ext'
import { withFat } from '../image/fat'
import { withImage } from '../image/open'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'

const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))
const skipReason = fixtureUnavailableReason('arm64')
if (skipReason) console.log(`[diff-command.int] skipped: ${skipReason}`)

describe.skipIf(skipReason)('orchard diff', () => {
  let dir: string
  let a: string
  let oneFile: string
  let several: string

  beforeAll(async () => {
    const fixture = await testFixture('arm64')
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-diff-'))
    ;[a, oneFile, several] = ['a.img', 'one-file.img', 'several.img'].map((name) => path.join(dir, name)) as [string, string, string]
    for (const file of [a, oneFile, several]) await copyFile(fixture, file)
    await withImage(oneFile, 'write', (image) => withExt(image.disk, image.root, (fs) => extWriteFile(fs, '/etc/hostname', 'changed\n')))
    await withImage(several, 'write', async (image) => {
      await withExt(image.disk, image.root, async (fs) => {
        await fs.chmod('/etc/hostname', 0o600)
        await fs.chown('/etc/hosts', 0, 4)
        await extSymlink(fs, '/nowhere', '/etc/orchard-link')
      })
      await withFat(image.disk, image.boot, (fat) => fat.writeFile('/added.txt', 'new\n'))
    })
  }, 300_000)

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('says identical for the same bytes', async () => {
    const result = await diffImages(a, a)
    expect(result).toMatchObject({ identical: true, differences: [] })
  })

  it('reports mode, owner, link and added boot files on both partitions', async () => {
    const { differences } = await diffImages(a, several)
    const byPath = Object.fromEntries(differences.map((d) => [`${d.partition}:${d.path}`, d]))
    expect(Object.keys(byPath).sort()).toEqual(['boot:/added.txt', 'root:/etc/hostname', 'root:/etc/hosts', 'root:/etc/orchard-link'])
    expect(byPath['root:/etc/hostname']!.details).toEqual([expect.stringMatching(/^mode: 0[0-7]{3} → 0600$/)])
    expect(byPath['root:/etc/hosts']!.details).toEqual(['owner: 0:0 → 0:4'])
    expect(byPath['root:/etc/orchard-link']).toMatchObject({ kind: 'added', details: ['symlink → /nowhere'] })
    expect(byPath['boot:/added.txt']).toMatchObject({ kind: 'added', details: ['file, 4 bytes'] })
  }, 600_000)

  it('names the one file that differs, and how, exiting 1 (the CLI, built-in comparison)', () => {
    const run = spawnSync(process.execPath, [ORCHARD, 'diff', '--builtin', a, oneFile], { encoding: 'utf8' })
    expect(run.status).toBe(1)
    // extWriteFile also sets mode 0644 (the fixture's file is 0755): both aspects are listed under the one file.
    expect(run.stdout).toMatch(/: 1 file\nchanged root:\/etc\/hostname\n\s+content: \d+ bytes .* → 8 bytes .*\n\s+mode: 0755 → 0644\n$/)
    expect(spawnSync(process.execPath, [ORCHARD, 'diff', '--builtin', a, a], { encoding: 'utf8' }).status).toBe(0)
  }, 600_000)
})
