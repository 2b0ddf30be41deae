/** The root fs out of an image and back in, sized to content, with nothing lost. */
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { debugfs, e2fsck, extractPartition, sfdiskTable, sha256sum } from '../testing/disk-tools'
import { findExecutable } from '../util/tools'
import { extractRoot, repackImage, sizeForContent } from './repack'

const skip = fixtureUnavailableReason('arm64') ?? (process.getuid?.() !== 0 ? 'needs root' : !findExecutable('fuse2fs') ? 'fuse2fs is not installed' : null)
if (skip) console.log(`[repack] skipped: ${skip}`)

describe.skipIf(skip)('extractRoot + repackImage', () => {
  let dir: string
  let fixture: string
  let out: string
  let root: string
  let used: number

  beforeAll(async () => {
    fixture = await testFixture('arm64')
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-repack-'))
    root = path.join(dir, 'root')
    await mkdir(root)
    const table = sfdiskTable(fixture)
    const p2 = table.partitions[1]!
    await extractRoot(fixture, { index: 2, offset: p2.start * 512, size: p2.size * 512, type: '83', partuuid: '' }, root)
    // What a package install leaves behind: a file, a device node, a hard link, a capability.
    await writeFile(path.join(root, 'etc/orchard-added'), 'added by a full build\n')
    execFileSync('mknod', [path.join(root, 'dev/orchard-null'), 'c', '1', '3'])
    execFileSync('ln', [path.join(root, 'etc/orchard-added'), path.join(root, 'etc/orchard-hardlink')])
    const cap = Buffer.alloc(20)
    cap.writeUInt32LE(0x02000001, 0) // VFS_CAP_REVISION_2 | effective
    cap.writeUInt32LE(1 << 13, 4) // CAP_NET_RAW permitted
    execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "security.capability", bytes.fromhex(sys.argv[2]))', path.join(root, 'usr/bin/sudo'), cap.toString('hex')])
    out = path.join(dir, 'repacked.img')
    ;({ usedBytes: used } = await repackImage(fixture, root, out))
  }, 600_000)

  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('keeps the disk id, the boot partition and the root partition start; sizes the root to content', async () => {
    const before = sfdiskTable(fixture)
    const after = sfdiskTable(out)
    expect(after.id).toBe(before.id)
    expect(after.partitions[0]).toMatchObject({ start: before.partitions[0]!.start, size: before.partitions[0]!.size, type: 'c' })
    expect(after.partitions[1]!.start).toBe(before.partitions[1]!.start)
    const rootBytes = after.partitions[1]!.size * 512
    expect(rootBytes).toBe(sizeForContent(used))
    expect(rootBytes).toBeLessThanOrEqual(used * 1.15 + 64 * 2 ** 20 + 4 * 2 ** 20)
    expect((await stat(out)).size).toBe((after.partitions[1]!.start + after.partitions[1]!.size) * 512)
    expect(sha256sum(extractPartition(out, 1, path.join(dir, 'p1-after')))).toBe(sha256sum(extractPartition(fixture, 1, path.join(dir, 'p1-before'))))
  })

  it('rebuilds the root fs clean, with the same UUID, label and features', () => {
    const rebuilt = extractPartition(out, 2, path.join(dir, 'p2-after'))
    const original = extractPartition(fixture, 2, path.join(dir, 'p2-before'))
    const check = e2fsck(rebuilt)
    expect(check.ok, check.output).toBe(true)
    const header = (file: string) => {
      const dump = execFileSync('dumpe2fs', ['-h', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      return ['Filesystem UUID', 'Filesystem volume name', 'Filesystem features', 'Block size'].map((f) => new RegExp(`^${f}:.*$`, 'm').exec(dump)?.[0])
    }
    expect(header(rebuilt)).toEqual(header(original))
  })

  it('loses nothing: new files, device nodes, hard links, setuid and capability xattrs', () => {
    const rebuilt = extractPartition(out, 2, path.join(dir, 'p2-check'))
    expect(debugfs(rebuilt, 'cat /etc/orchard-added')).toBe('added by a full build\n')
    expect(debugfs(rebuilt, 'stat /dev/orchard-null')).toMatch(/Type: character special/)
    expect(debugfs(rebuilt, 'stat /etc/orchard-hardlink')).toMatch(/Links: 2/)
    expect(debugfs(rebuilt, 'stat /usr/bin/sudo')).toMatch(/Mode:\s+04755/)
    expect(debugfs(rebuilt, 'ea_list /usr/bin/sudo')).toContain('security.capability')
  })
})
