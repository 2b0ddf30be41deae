/**
 * The boot partition's round trip without ARM code: read out of a copy of the fixture
 * (readBootTree), edited as a folder the way packages and steps do, written back
 * (writeBootChanges), and judged with fsck.fat and mtools, not with our own FAT reader.
 * The executors' part (the files at the boot mount while steps run) is executors.int.test.ts.
 */
import { execFileSync } from 'node:child_process'
import { appendFile, cp, mkdir, mkdtemp, rename, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withFat } from '../image/fat'
import { withImage } from '../image/open'
import { extractPartition, fsckFat, mls, mtype } from '../testing/disk-tools'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { readBootTree, type BootTree } from './boot-tree'
import { writeBootChanges } from './boot-writeback'

const skip = fixtureUnavailableReason('arm64')
if (skip) console.log(`[boot-writeback] skipped: ${skip}`)

describe.skipIf(skip)('boot partition write-back', () => {
  let dir: string
  let image: string
  let before: BootTree
  const B = '/boot/firmware'

  /** An editable copy of the boot tree, and a fresh copy of the prepared image to write it to (the prepared one itself for cases that must write nothing). */
  async function edit(name: string, change: (boot: string) => Promise<void>, writes = true): Promise<{ copy: string; after: BootTree }> {
    const copy = writes ? path.join(dir, `${name}.img`) : image
    if (writes) execFileSync('cp', ['--sparse=always', image, copy])
    const after = { dir: path.join(dir, `${name}-after`), mount: before.mount }
    await cp(before.dir, after.dir, { recursive: true })
    await change(path.join(after.dir, B))
    return { copy, after }
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-boot-writeback-'))
    image = path.join(dir, 'source.img')
    execFileSync('cp', ['--sparse=always', await testFixture('arm64'), image])
    // Folders and a long name on the card before the build, so removing them is tested too.
    await withImage(image, 'write', (opened) =>
      withFat(opened.disk, opened.boot, async (fat) => {
        await fat.mkdirp('/Old Folder/inner')
        await fat.writeFile('/Old Folder/inner/old overlay.dtbo', 'old\n')
        await fat.writeFile('/README', 'same size A\n')
        await fat.writeFile('/samesize.txt', 'aaaa\n')
      }),
    )
    before = await readBootTree(image, path.join(dir, 'before'))
  }, 300_000)
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('reads the boot files out at the release boot mount', () => {
    expect(before.mount).toBe(B)
    expect(execFileSync('find', ['.', '-type', 'f'], { cwd: path.join(before.dir, B), encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(
      ['./Old Folder/inner/old overlay.dtbo', './README', './cmdline.txt', './config.txt', './issue.txt', './samesize.txt'],
    )
  })

  it('writes new, changed, deleted, renamed-in-case and long-named files and folders back, FAT left clean', async () => {
    const { copy, after } = await edit('round-trip', async (boot) => {
      await appendFile(path.join(boot, 'config.txt'), 'dtoverlay=orchard-proof\n')
      await writeFile(path.join(boot, 'samesize.txt'), 'bbbb\n') // same size, other bytes
      await rm(path.join(boot, 'issue.txt'))
      await rm(path.join(boot, 'Old Folder'), { recursive: true })
      await rename(path.join(boot, 'README'), path.join(boot, 'readme')) // only the case changes
      await mkdir(path.join(boot, 'overlays/a folder with a long name'), { recursive: true })
      await writeFile(path.join(boot, 'overlays/a folder with a long name/orchard-proof-overlay.dtbo'), Buffer.alloc(70_000, 7))
    })
    const dry = await writeBootChanges(image, before, after, undefined, { dryRun: true })
    const changes = await writeBootChanges(copy, before, after, new Date('2026-01-02T03:04:06Z'))
    expect(changes).toEqual(dry)
    expect(changes.removed.sort()).toEqual(['/Old Folder', '/Old Folder/inner', '/Old Folder/inner/old overlay.dtbo', '/README', '/issue.txt'])
    expect(changes.changed.sort()).toEqual(['/config.txt', '/samesize.txt'])
    expect(changes.added.sort()).toEqual(['/overlays', '/overlays/a folder with a long name', '/overlays/a folder with a long name/orchard-proof-overlay.dtbo', '/readme'])

    const fat = extractPartition(copy, 1, path.join(dir, 'round-trip.fat'))
    const fsck = fsckFat(fat)
    expect(fsck.ok, fsck.output).toBe(true)
    expect(mls(fat, '/')).toEqual(['cmdline.txt', 'config.txt', 'overlays', 'readme', 'samesize.txt'])
    expect(mtype(fat, '/config.txt')).toMatch(/dtoverlay=orchard-proof\n$/)
    expect(mtype(fat, '/samesize.txt')).toBe('bbbb\n')
    expect(mls(fat, '/overlays/a folder with a long name')).toEqual(['orchard-proof-overlay.dtbo'])
    const overlay = execFileSync('mtype', ['-i', fat, '::/overlays/a folder with a long name/orchard-proof-overlay.dtbo'])
    expect(overlay.equals(Buffer.alloc(70_000, 7))).toBe(true)
  })

  it('writes nothing when nothing changed', async () => {
    const { copy, after } = await edit('unchanged', async () => {}, false)
    const was = (await stat(copy)).mtimeMs
    expect(await writeBootChanges(copy, before, after)).toEqual({ added: [], changed: [], removed: [] })
    expect((await stat(copy)).mtimeMs).toBe(was) // not even opened for writing
  })

  it('refuses a partition that would overflow with BOOT_PARTITION_FULL naming what grew, biggest first', async () => {
    const { copy, after } = await edit('overflow', async (boot) => {
      await writeFile(path.join(boot, 'kernel8.img'), '')
      await truncate(path.join(boot, 'kernel8.img'), 140e6) // bigger than the 134 MB (128 MiB) partition
      await appendFile(path.join(boot, 'config.txt'), 'dtoverlay=more\n')
    })
    // The dry run (a build tries it on the source before the repack) says the same and writes nothing.
    const was = (await stat(image)).mtimeMs
    await expect(writeBootChanges(image, before, after, undefined, { dryRun: true })).rejects.toMatchObject({ code: 'BOOT_PARTITION_FULL' })
    expect((await stat(image)).mtimeMs).toBe(was)
    const error = await writeBootChanges(copy, before, after).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'BOOT_PARTITION_FULL' })
    const message = (error as Error).message
    expect(message).toContain('The boot partition (134.2 MB, 132.1 MB free)')
    expect(message).toMatch(/\/boot\/firmware\/kernel8\.img: new, 140\.0 MB\n {2}\/boot\/firmware\/config\.txt: /)
  })

  it('refuses what FAT cannot hold, by name, before writing anything', async () => {
    const link = await edit('symlink', (boot) => symlink('config.txt', path.join(boot, 'config-link.txt')), false)
    await expect(writeBootChanges(link.copy, before, link.after)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('/boot/firmware/config-link.txt is a symbolic link'),
    })
    const clash = await edit('clash', (boot) => writeFile(path.join(boot, 'CONFIG.TXT'), 'x'), false)
    await expect(writeBootChanges(clash.copy, before, clash.after)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/\/boot\/firmware\/CONFIG\.TXT and \/boot\/firmware\/config\.txt differ only in case/),
    })
  })
})
