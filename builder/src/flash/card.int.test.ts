/**
 * Card editing and device files against real parts: disk images made by sfdisk, mkfs.vfat
 * and mke2fs, a loop device (the card as a block device), the real CLI; every result is
 * judged by mtools and fsck.fat, not by our own FAT reader.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileDisk, type WriteResult } from 'file-disk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT } from '../cli/output'
import { deviceFiles, deviceFilesHash, writeDeviceFiles } from './device-files'
import { openDisk } from '../image/block-disk'
import { describeImage, withImage } from '../image/open'
import { extractPartition, fsckFat, makeDisk, mls, mtype } from '../testing/disk-tools'
import { withCard, type Card } from './card'

const TOOLS = ['sfdisk', 'mkfs.vfat', 'mke2fs', 'fsck.fat', 'mdir', 'mtype', 'mcopy', 'mmd', 'dd']
const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
const skipped = missing.length ? ` (skipped, missing: ${missing.join(', ')})` : ''
const BOOT_OFFSET = 8192 * 512 // where makeDisk puts the first partition
const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))

let work = ''
let images = 0

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'orchard-card-'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

const card = () => makeDisk(path.join(work, `card-${++images}.img`), [{ type: 'c', filesystem: 'fat', mib: 40 }, { type: '83', filesystem: 'ext4', mib: 16 }])

/** The boot partition copied out with dd, for mtools and fsck.fat. */
function bootOf(image: string): string {
  return extractPartition(image, 1, path.join(work, `boot-${++images}.fat`))
}

function expectClean(fat: string): void {
  const { ok, output } = fsckFat(fat)
  expect(ok, output).toBe(true)
}

/** mtools writing into the image's boot partition in place (`-i image@@offset`). */
function mtools(command: string, ...args: string[]): void {
  execFileSync(command, args, { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } })
}

const device = { hostname: 'pi-7', variables: { HOSTNAME: 'pi-7', STATIC_IP: '10.0.0.7/24', MOTD: '$HOME "quoted"' } }
const files = deviceFiles(device, {
  runOnce: { '10-setup.sh': Buffer.from('#!/bin/sh\necho setup\n') },
  everyTime: { 'clock.sh': Buffer.from('#!/bin/sh\ndate\n') },
  // Big enough for several clusters, every byte value.
  resources: { 'certs/ca.pem': Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7) % 256)) },
})

/** The same write, read, list and remove round trip on any target (image file or block device). */
async function roundTrip(target: string): Promise<void> {
  const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 13 + 5) % 256))
  await withCard(target, 'write', async (c) => {
    await c.write('/startup-scripts/run-once/20-hello.sh', Buffer.from('echo hello\r\n'))
    await c.write('/startup-scripts/resources/deep/er/blob.bin', binary)
    await c.write('/startup-scripts/resources/gone.txt', Buffer.from('remove me'))
    await c.write('/startup-scripts/resources/empty/x', Buffer.from(''))
    await c.write('/startup-scripts/device.env', Buffer.from('HOSTNAME=edited\n'))
    // Replacing keeps one file.
    await c.write('/startup-scripts/run-once/20-hello.sh', Buffer.from('echo hello again\n'))
  })
  await withCard(target, 'write', async (c) => {
    expect((await c.read('/startup-scripts/run-once/20-hello.sh')).toString()).toBe('echo hello again\n')
    expect((await c.read('/startup-scripts/resources/deep/er/blob.bin')).equals(binary)).toBe(true)
    const listed = await c.list()
    const byPath = new Map(listed.map((entry) => [entry.path, entry]))
    expect(byPath.get('/startup-scripts/resources/deep/er/blob.bin')).toMatchObject({ size: binary.length, isDirectory: false })
    expect(byPath.get('/startup-scripts/resources/deep')).toMatchObject({ size: 0, isDirectory: true })
    expect(byPath.get('/startup-scripts/device.env')).toMatchObject({ size: 16, isDirectory: false })
    expect(listed.map((entry) => entry.path)).toEqual([...listed.map((entry) => entry.path)].sort())
    expect(Number.isNaN(Date.parse(listed[0]!.mtime))).toBe(false)
    expect((await c.list('/startup-scripts/resources/deep')).map((e) => e.path)).toEqual([
      '/startup-scripts/resources/deep/er',
      '/startup-scripts/resources/deep/er/blob.bin',
    ])

    await c.remove('/startup-scripts/resources/gone.txt')
    await c.remove('/startup-scripts/resources/empty/x')
    await c.remove('/startup-scripts/resources/empty')
    await expect(c.remove('/startup-scripts/resources/deep')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'The folder is not empty: /startup-scripts/resources/deep',
    })
    await expect(c.read('/startup-scripts/resources/gone.txt')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'Not on the card: /startup-scripts/resources/gone.txt',
    })
    await expect(c.read('/startup-scripts/resources')).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'A folder, not a file: /startup-scripts/resources' })
  })
}

/** What roundTrip leaves, seen by mtools; and fsck.fat finds nothing to fix. */
function expectRoundTripOnDisk(image: string): void {
  const fat = bootOf(image)
  expect(mtype(fat, '/startup-scripts/run-once/20-hello.sh')).toBe('echo hello again\n')
  expect(mtype(fat, '/startup-scripts/device.env')).toBe('HOSTNAME=edited\n')
  const resources = mls(fat, '/startup-scripts/resources')
  expect(resources).toContain('deep')
  expect(resources).not.toContain('gone.txt')
  expect(resources).not.toContain('empty')
  expect(mls(fat, '/startup-scripts/resources/deep/er')).toEqual(['blob.bin'])
  const blob = execFileSync('mtype', ['-i', fat, '::/startup-scripts/resources/deep/er/blob.bin'])
  expect(blob.equals(Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 13 + 5) % 256)))).toBe(true)
  expectClean(fat)
}

async function expectForbidden(c: Card): Promise<void> {
  const forbidden = { code: 'FORBIDDEN' }
  await expect(c.write('/config.txt', Buffer.from('x'))).rejects.toMatchObject({
    ...forbidden,
    message: '/config.txt: only /startup-scripts/device.env and files in run-once/, every-time/ and resources/ can be written',
  })
  for (const target of ['/cmdline.txt', '/startup-scripts', '/startup-scripts/logs/x.log', '/startup-scripts/ran-once/a.sh', '/startup-scripts/other.txt', '/buildinfo/buildinfo.json']) {
    await expect(c.write(target, Buffer.from('x')), target).rejects.toMatchObject(forbidden)
  }
  await expect(c.write('/startup-scripts/run-once/../../config.txt', Buffer.from('x'))).rejects.toMatchObject({
    ...forbidden,
    message: 'Card paths may not hold "." or "..": /startup-scripts/run-once/../../config.txt',
  })
  await expect(c.write('/startup-scripts/run-once/./a', Buffer.from('x'))).rejects.toMatchObject(forbidden)
  await expect(c.write('startup-scripts/run-once/a', Buffer.from('x'))).rejects.toMatchObject({
    ...forbidden,
    message: 'Card paths are absolute ("/startup-scripts/…"): startup-scripts/run-once/a',
  })
  await expect(c.write('/startup-scripts\\run-once\\a', Buffer.from('x'))).rejects.toMatchObject({ ...forbidden, message: 'Card paths are "/"-separated: /startup-scripts\\run-once\\a' })
  await expect(c.read('/overlays/README')).rejects.toMatchObject({
    ...forbidden,
    message: '/overlays/README: only /startup-scripts, /buildinfo, /cmdline.txt and /config.txt can be read',
  })
  await expect(c.read('/startup-scripts/../cmdline.txt')).rejects.toMatchObject(forbidden)
  await expect(c.list('/')).rejects.toMatchObject({ ...forbidden, message: '/: only /startup-scripts and /buildinfo can be listed' })
  await expect(c.remove('/startup-scripts')).rejects.toMatchObject({ ...forbidden, message: '/startup-scripts: only files and empty folders in /startup-scripts/ can be removed' })
  await expect(c.remove('/config.txt')).rejects.toMatchObject(forbidden)
  // Allowed to read, just not there on a bare mkfs.vfat partition.
  await expect(c.read('/cmdline.txt')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Not on the card: /cmdline.txt' })
}

describe.skipIf(missing.length > 0)(`card editing on an image file${skipped}`, () => {
  it('writes device files that mtools reads back, fsck.fat clean', async () => {
    const image = card()
    const { hash } = await withImage(image, 'write', (disk) => writeDeviceFiles(disk.disk, disk.boot, files))
    expect(hash).toBe(deviceFilesHash(files))
    const fat = bootOf(image)
    expect(mtype(fat, '/startup-scripts/device.env')).toBe('# Written by Orchard for pi-7\nHOSTNAME=pi-7\nMOTD="$HOME "quoted""\nSTATIC_IP=10.0.0.7/24\n')
    expect(mls(fat, '/startup-scripts')).toEqual(['device.env', 'every-time', 'resources', 'run-once'])
    expect(mtype(fat, '/startup-scripts/run-once/10-setup.sh')).toBe('#!/bin/sh\necho setup\n')
    expect(mtype(fat, '/startup-scripts/every-time/clock.sh')).toBe('#!/bin/sh\ndate\n')
    expect(execFileSync('mtype', ['-i', fat, '::/startup-scripts/resources/certs/ca.pem']).equals(files.find((f) => f.path.endsWith('ca.pem'))!.content)).toBe(true)
    expectClean(fat)
  })

  it('keeps the files already on the card and replaces only its own', async () => {
    const image = card()
    mtools('mmd', '-i', `${image}@@${BOOT_OFFSET}`, '::/startup-scripts', '::/startup-scripts/run-once')
    const local = path.join(work, 'first_run_setup.sh')
    await writeFile(local, 'echo first\n')
    mtools('mcopy', '-i', `${image}@@${BOOT_OFFSET}`, local, '::/startup-scripts/run-once/first_run_setup.sh')
    await withImage(image, 'write', (disk) => writeDeviceFiles(disk.disk, disk.boot, files))
    const fat = bootOf(image)
    expect(mls(fat, '/startup-scripts/run-once')).toEqual(['10-setup.sh', 'first_run_setup.sh'])
    expectClean(fat)
  })

  it('fails when a file does not read back as written', async () => {
    const image = card()
    // A disk that damages every write holding the marker: the second FAT session must notice.
    class DamagingDisk extends FileDisk {
      protected override async _write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<WriteResult> {
        const copy = Buffer.from(buffer.subarray(bufferOffset, bufferOffset + length))
        const at = copy.indexOf('DAMAGE-ME')
        if (at !== -1) copy[at] = 0x64
        return super._write(copy, 0, length, fileOffset)
      }
    }
    const handle = await open(image, 'r+')
    try {
      const disk = new DamagingDisk(handle)
      const { boot } = await describeImage(image, disk)
      const bad = deviceFiles(device, { runOnce: { 'bad.sh': Buffer.from('echo DAMAGE-ME\n') } })
      await expect(writeDeviceFiles(disk, boot, bad)).rejects.toThrow('Device files did not read back correctly: /startup-scripts/run-once/bad.sh')
    } finally {
      await handle.close()
    }
  })

  it('writes, reads, lists and removes under startup-scripts; mtools agrees, fsck.fat clean', async () => {
    const image = card()
    await roundTrip(image)
    expectRoundTripOnDisk(image)
  })

  it('matches paths case-insensitively, as FAT does', async () => {
    const image = card()
    await withCard(image, 'write', async (c) => {
      await c.write('/startup-scripts/run-once/a.sh', Buffer.from('1'))
      await c.write('/STARTUP-SCRIPTS/Run-Once/b.sh', Buffer.from('2'))
      expect((await c.read('/Startup-Scripts/RUN-ONCE/A.SH')).toString()).toBe('1')
    })
    expect(mls(bootOf(image), '/startup-scripts/run-once')).toEqual(['a.sh', 'b.sh'])
  })

  it('refuses paths outside what may be read or changed, and changes in read mode', async () => {
    const image = card()
    await withCard(image, 'write', expectForbidden)
    await withCard(image, 'read', async (c) => {
      await expect(c.write('/startup-scripts/run-once/a.sh', Buffer.from('x'))).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'The card is open for reading only: cannot change /startup-scripts/run-once/a.sh',
      })
      await expect(c.remove('/startup-scripts/run-once/a.sh')).rejects.toMatchObject({ code: 'FORBIDDEN' })
    })
    const fat = bootOf(image)
    expect(mls(fat, '/')).toEqual([])
    expectClean(fat)
  })

  it('reads the build info and the boot files it may read', async () => {
    const image = card()
    expect(await withCard(image, 'read', (c) => c.buildInfo())).toBeNull()
    const target = `${image}@@${BOOT_OFFSET}`
    mtools('mmd', '-i', target, '::/buildinfo')
    const info = path.join(work, 'buildinfo.json')
    await writeFile(info, JSON.stringify({ name: 'demo', builder: { version: '0.1.0' } }))
    mtools('mcopy', '-i', target, info, '::/buildinfo/buildinfo.json')
    const cmdline = path.join(work, 'cmdline.txt')
    await writeFile(cmdline, 'console=serial0 root=PARTUUID=0badc0de-02\n')
    mtools('mcopy', '-i', target, cmdline, '::/cmdline.txt')
    await withCard(image, 'read', async (c) => {
      expect(await c.buildInfo()).toEqual({ name: 'demo', builder: { version: '0.1.0' } })
      expect((await c.list('/buildinfo')).map((e) => e.path)).toEqual(['/buildinfo/buildinfo.json'])
      expect((await c.read('/cmdline.txt')).toString()).toBe('console=serial0 root=PARTUUID=0badc0de-02\n')
      await expect(c.list('/startup-scripts')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Not on the card: /startup-scripts' })
    })
    await writeFile(info, '{ not json')
    mtools('mcopy', '-o', '-i', target, info, '::/buildinfo/buildinfo.json')
    await expect(withCard(image, 'read', (c) => c.buildInfo())).rejects.toMatchObject({ code: 'INVALID_IMAGE' })
  })

  it('says clearly when the target is not a card', async () => {
    const text = path.join(work, 'notes.txt')
    await writeFile(text, 'not a card\n'.repeat(500))
    await expect(withCard(text, 'read', async () => {})).rejects.toMatchObject({
      code: 'INVALID_IMAGE',
      message: `${text} is not a card or disk image: Not a disk image: no partition table (the boot signature 55 AA is missing)`,
    })
    const bare = bootOf(card())
    await expect(withCard(bare, 'read', async () => {})).rejects.toMatchObject({
      code: 'INVALID_IMAGE',
      message: `${bare} is a FAT filesystem, not a whole card: give the drive (e.g. /dev/sdb, not /dev/sdb1)`,
    })
    const noFat = makeDisk(path.join(work, 'no-fat.img'), [{ type: '83', filesystem: 'ext4', mib: 16 }])
    await expect(withCard(noFat, 'read', async () => {})).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: `No FAT boot partition on ${noFat} (partitions: #1 ext)` })
    const gone = path.join(work, 'gone.img')
    await expect(withCard(gone, 'read', async () => {})).rejects.toMatchObject({ code: 'NOT_FOUND', message: `No such file or device: ${gone}` })
    await expect(withCard(work, 'read', async () => {})).rejects.toMatchObject({ code: 'INVALID_INPUT', message: `${work} is neither a disk image file nor a block device` })
  })

  it('refuses a card used outside withCard', async () => {
    const kept = await withCard(card(), 'read', async (c) => c)
    await expect(kept.list()).rejects.toThrow('The card is closed: use it only inside withCard')
  })
})

const loopMissing = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/dev/loop-control') ? 'no /dev/loop-control' : spawnSync('sh', ['-c', 'command -v losetup']).status !== 0 ? 'no losetup' : ''
const loopSkip = missing.length > 0 || loopMissing !== ''
if (loopSkip) console.log(`card editing on a loop device skipped: ${loopMissing || `missing ${missing.join(', ')}`}`)

describe.skipIf(loopSkip)(`card editing on a block device (loop)${loopMissing ? ` (skipped: ${loopMissing})` : skipped}`, () => {
  let image = ''
  let loop = ''

  beforeAll(() => {
    image = card()
    loop = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim()
  })
  afterAll(() => {
    if (loop) spawnSync('losetup', ['--detach', loop])
  })

  it('opens the device with the kernel’s size, exclusively when writing', async () => {
    expect((await stat(loop)).isBlockDevice()).toBe(true)
    const opened = await openDisk(loop, 'write')
    try {
      expect(opened.capacity).toBe((await stat(image)).size)
      expect(await opened.disk.getCapacity()).toBe(opened.capacity)
      await expect(openDisk(loop, 'write')).rejects.toMatchObject({ code: 'UNWRITABLE', message: `${loop} is in use (mounted?): unmount it first` })
    } finally {
      await opened.close()
    }
  })

  it('writes device files and does the round trip through the block device', async () => {
    const opened = await openDisk(loop, 'write')
    try {
      const { boot } = await describeImage(loop, opened.disk)
      await writeDeviceFiles(opened.disk, boot, files)
    } finally {
      await opened.close()
    }
    await roundTrip(loop)
    await withCard(loop, 'write', expectForbidden)
  })

  it('leaves the image file as mtools and fsck.fat expect, once detached', async () => {
    spawnSync('losetup', ['--detach', loop])
    loop = ''
    const fat = bootOf(image)
    expect(mtype(fat, '/startup-scripts/run-once/10-setup.sh')).toBe('#!/bin/sh\necho setup\n')
    expectRoundTripOnDisk(image)
  })
})

function orchard(args: string[], input?: Buffer) {
  const run = spawnSync(process.execPath, [ORCHARD, 'card', ...args], { input, env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr.toString() }
}

describe.skipIf(missing.length > 0)(`orchard card on an image file${skipped}`, () => {
  let image = ''
  const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31) % 256))

  beforeAll(async () => {
    image = card()
    await copyFile(image, `${image}.orig`)
  })

  it('puts from a file and from stdin, lists, cats byte for byte, removes', async () => {
    const local = path.join(work, 'local.bin')
    await writeFile(local, binary)
    let run = orchard(['put', image, '/startup-scripts/resources/blob.bin', '--from', local])
    expect([run.code, run.stdout.toString(), run.stderr]).toEqual([EXIT.ok, 'Wrote 3.0 kB to /startup-scripts/resources/blob.bin\n', ''])
    run = orchard(['put', image, '/startup-scripts/run-once/hello.sh'], Buffer.from('echo hi\n'))
    expect([run.code, run.stdout.toString()]).toEqual([EXIT.ok, 'Wrote 8 bytes to /startup-scripts/run-once/hello.sh\n'])

    run = orchard(['ls', image])
    expect(run.code).toBe(EXIT.ok)
    const lines = run.stdout.toString().trimEnd().split('\n')
    expect(lines.map((line) => line.split(/\s+/).at(-1))).toEqual([
      '/startup-scripts/resources/',
      '/startup-scripts/resources/blob.bin',
      '/startup-scripts/run-once/',
      '/startup-scripts/run-once/hello.sh',
    ])
    expect(lines[1]).toMatch(/^ {6}3000 {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}\/startup-scripts\/resources\/blob\.bin$/)
    run = orchard(['ls', image, '/startup-scripts/run-once', '--json'])
    const result = JSON.parse(run.stdout.toString()) as { type: string; entries: { path: string; size: number }[] }
    expect(result.type).toBe('result')
    expect(result.entries).toMatchObject([{ path: '/startup-scripts/run-once/hello.sh', size: 8, isDirectory: false }])

    run = orchard(['cat', image, '/startup-scripts/resources/blob.bin'])
    expect(run.code).toBe(EXIT.ok)
    expect(Buffer.compare(run.stdout, binary)).toBe(0)

    run = orchard(['rm', image, '/startup-scripts/run-once/hello.sh'])
    expect([run.code, run.stdout.toString()]).toEqual([EXIT.ok, 'Removed /startup-scripts/run-once/hello.sh\n'])

    const fat = bootOf(image)
    expect(mls(fat, '/startup-scripts/run-once')).toEqual([])
    expect(execFileSync('mtype', ['-i', fat, '::/startup-scripts/resources/blob.bin']).equals(binary)).toBe(true)
    expectClean(fat)
  })

  it('fails with exit 2 for a forbidden path, a missing file on the card or locally, bad usage; 3 for no card', async () => {
    const notes = path.join(work, 'cli-notes.txt')
    await writeFile(notes, 'not a card\n'.repeat(500))
    const cases: [string[], number, string][] = [
      [['put', image, '/config.txt', '--from', ORCHARD], EXIT.usage, 'orchard: /config.txt: only /startup-scripts/device.env and files in run-once/, every-time/ and resources/ can be written\n'],
      [['cat', image, '/startup-scripts/../config.txt'], EXIT.usage, 'orchard: Card paths may not hold "." or "..": /startup-scripts/../config.txt\n'],
      [['cat', image, '/startup-scripts/run-once/nope.sh'], EXIT.usage, 'orchard: Not on the card: /startup-scripts/run-once/nope.sh\n'],
      [['rm', image, '/startup-scripts/run-once/nope.sh'], EXIT.usage, 'orchard: Not on the card: /startup-scripts/run-once/nope.sh\n'],
      [['put', image, '/startup-scripts/run-once/a.sh', '--from', path.join(work, 'nope')], EXIT.usage, `orchard: File not found: ${path.join(work, 'nope')}\n`],
      [['ls', path.join(work, 'nope.img')], EXIT.usage, `orchard: No such file or device: ${path.join(work, 'nope.img')}\n`],
      [['ls', notes], EXIT.source, `orchard: ${notes} is not a card or disk image: Not a disk image: no partition table (the boot signature 55 AA is missing)\n`],
    ]
    for (const [args, code, stderr] of cases) {
      const run = orchard(args)
      expect({ args, code: run.code, stderr: run.stderr, stdout: run.stdout.toString() }).toEqual({ args, code, stderr, stdout: '' })
    }
    const usage = orchard(['cat', image])
    expect(usage.code).toBe(EXIT.usage)
    expect(usage.stderr).toContain("error: missing required argument 'path'")
  })

  it('reports errors as JSON with --json', () => {
    const run = orchard(['rm', image, '/cmdline.txt', '--json'])
    expect(run.code).toBe(EXIT.usage)
    expect(JSON.parse(run.stdout.toString())).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
  })
})
