/**
 * `orchard diff` on copies of a small two-partition disk edited with our own writers: it
 * names exactly the files that differ, on both partitions, and says how (content, mode,
 * owner, link target). A small disk, not the fixture: the walk is the same code and the
 * fixture's 20k files made this file take over a minute.
 */
import { spawnSync } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffImages } from './diff-command'
import { extSymlink, extWriteFile, withExt } from '../image/ext'
import { withFat } from '../image/fat'
import { withImage } from '../image/open'
import { makeDisk } from '../testing/disk-tools'

const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))
describe('orchard diff', () => {
  let dir: string
  let a: string
  let oneFile: string
  let several: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-diff-'))
    const root = path.join(dir, 'root')
    await mkdir(path.join(root, 'etc'), { recursive: true })
    await mkdir(path.join(root, 'usr/share/doc'), { recursive: true })
    await writeFile(path.join(root, 'etc/hostname'), 'raspberrypi\n')
    await chmod(path.join(root, 'etc/hostname'), 0o755)
    await writeFile(path.join(root, 'etc/hosts'), '127.0.0.1 localhost\n')
    await writeFile(path.join(root, 'usr/share/doc/README'), 'unchanged\n')
    const fixture = makeDisk(path.join(dir, 'source.img'), [
      { type: 'c', filesystem: 'fat', mib: 40 },
      { type: '83', filesystem: 'ext4', mib: 16, content: root },
    ])
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
  }, 60_000)

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
  }, 120_000)

  it('names the one file that differs, and how, exiting 1 (the CLI, built-in comparison)', () => {
    const run = spawnSync(process.execPath, [ORCHARD, 'diff', '--builtin', a, oneFile], { encoding: 'utf8' })
    expect(run.status).toBe(1)
    // extWriteFile also sets mode 0644 (the fixture's file is 0755): both aspects are listed under the one file.
    expect(run.stdout).toMatch(/: 1 file\nchanged root:\/etc\/hostname\n\s+content: \d+ bytes .* → 8 bytes .*\n\s+mode: 0755 → 0644\n$/)
    expect(spawnSync(process.execPath, [ORCHARD, 'diff', '--builtin', a, a], { encoding: 'utf8' }).status).toBe(0)
  }, 120_000)
})
