/**
 * `orchard flash` through the real bin/orchard.js: destinations refused before a byte is
 * written, each with its own message and exit code 5 — a symlink, a folder, a FIFO, an
 * existing file that is not a disk image, a drive holding a system mount (a loop device's
 * partition at /home in a private mount namespace) — while an existing image file and a
 * new path are written.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, lstatSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeDisk, sha256sum } from '../testing/disk-tools'
import { attachLoop, detachLoop, loopUnavailableReason } from '../testing/loop'
import { EXIT } from './output'

const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))
const REFUSED = 'Refused before writing anything:'
let dir = ''
let image = ''

/** `orchard flash <image> --to …`, optionally inside `unshare` with a command before it. */
function flash(to: string[], options: { env?: Record<string, string>; wrap?: string[] } = {}) {
  const [command, ...args] = [...(options.wrap ?? []), process.execPath, ORCHARD, 'flash', image, '--to', ...to]
  const env = { ...process.env, ORCHARD_CACHE_DIR: path.join(dir, 'cache'), ORCHARD_DATA_DIR: path.join(dir, 'data'), ...options.env }
  const run = spawnSync(command!, args, { encoding: 'utf8', env, timeout: 60_000 })
  return { code: run.status, stderr: run.stderr }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-flash-refusals-'))
  image = makeDisk(path.join(dir, 'pi.img'), [{ type: 'c', filesystem: 'fat', mib: 8 }])
})

afterAll(() => rm(dir, { recursive: true, force: true }))

describe('orchard flash refuses file destinations before writing a byte', () => {
  it('a symbolic link, even to an image file: the file it points to is untouched', async () => {
    const target = makeDisk(path.join(dir, 'old.img'), [{ type: '83', filesystem: 'none', mib: 4 }])
    const before = sha256sum(target)
    const link = path.join(dir, 'link.img')
    await symlink(target, link)
    const run = flash([link])
    expect(run.stderr).toContain(`${REFUSED}\n  - ${link} is a symbolic link (to ${target}): name the drive or image file itself, never a link`)
    expect(run.code).toBe(EXIT.refused)
    expect(sha256sum(target)).toBe(before)
  })

  it('a dangling symbolic link: nothing is created where it points', async () => {
    const link = path.join(dir, 'dangling.img')
    await symlink(path.join(dir, 'would-be-created.img'), link)
    const run = flash([link])
    expect(run.stderr).toContain(`${link} is a symbolic link (to ${path.join(dir, 'would-be-created.img')})`)
    expect(run.code).toBe(EXIT.refused)
    expect(existsSync(path.join(dir, 'would-be-created.img'))).toBe(false)
  })

  it('a folder and a FIFO, both named in one refusal', async () => {
    const folder = path.join(dir, 'folder')
    await mkdir(folder)
    const fifo = path.join(dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const run = flash([folder, fifo])
    expect(run.stderr).toContain(
      `${REFUSED}\n  - ${folder} is a directory: only a drive or a disk image file can be flashed\n  - ${fifo} is a FIFO (named pipe): only a drive or a disk image file can be flashed`,
    )
    expect(run.code).toBe(EXIT.refused)
    expect(lstatSync(fifo).isFIFO()).toBe(true)
  })

  it('an existing file that is not a disk image: left as it was', async () => {
    const notes = path.join(dir, 'notes.txt')
    await writeFile(notes, '#!/bin/sh\necho keep me\n')
    const run = flash([notes])
    expect(run.stderr).toContain(`${notes} exists and is not a disk image (no MBR or GPT partition table): Orchard overwrites only disk image files`)
    expect(run.code).toBe(EXIT.refused)
    expect(execFileSync('cat', [notes], { encoding: 'utf8' })).toBe('#!/bin/sh\necho keep me\n')
  })

  it('but writes an existing disk image file and a new path', async () => {
    const existing = makeDisk(path.join(dir, 'existing.img'), [{ type: '83', filesystem: 'none', mib: 4 }])
    const fresh = path.join(dir, 'fresh.img')
    const run = flash([existing, fresh])
    expect(run.stderr).not.toContain(REFUSED)
    expect(run.code).toBe(EXIT.ok)
    expect(sha256sum(existing)).toBe(sha256sum(image))
    expect(sha256sum(fresh)).toBe(sha256sum(image))
  })
})

const loopSkip = loopUnavailableReason()
const unshareWorks = !loopSkip && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0
const driveSkip = loopSkip ?? (unshareWorks ? null : 'unshare -m does not work here')
if (driveSkip) console.log(`[flash-refusals.int] the system-mount drive skipped: ${driveSkip}`)

describe.skipIf(driveSkip)('orchard flash refuses a drive holding a system mount', () => {
  let disk = ''

  beforeAll(() => {
    const file = path.join(dir, 'home.disk')
    execFileSync('truncate', ['-s', '32M', file])
    execFileSync('sfdisk', ['--quiet', file], { input: 'label: dos\nstart=2048, type=83\n' })
    disk = attachLoop(file, { partitions: true })
    execFileSync('mkfs.ext4', ['-q', `${disk}p1`])
  })

  afterAll(() => {
    if (disk) detachLoop(disk)
  })

  it('a test drive whose partition is mounted at /home (in a private mount namespace)', () => {
    const before = sha256sum(disk)
    // Read-only, so that mounting writes nothing either (an ext4 mount updates its superblock).
    const wrap = ['unshare', '-m', '--propagation', 'private', 'sh', '-ec', 'mount -o ro,noload "$1" /home; shift; exec "$@"', 'sh', `${disk}p1`]
    const run = flash([disk], { wrap, env: { ORCHARD_TEST_DRIVES: disk } })
    expect(run.stderr).toContain(`${REFUSED}\n  - ${disk}: ${disk} holds /home (a system mount): Orchard never writes a drive the running system uses`)
    expect(run.code).toBe(EXIT.refused)
    expect(sha256sum(disk)).toBe(before)
    // The same drive outside the namespace is an ordinary card (the refusal was the mount's doing).
    expect(flash([disk], { env: { ORCHARD_TEST_DRIVES: disk } }).code).toBe(EXIT.ok)
  })
})
