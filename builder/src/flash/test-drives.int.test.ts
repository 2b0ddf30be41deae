/**
 * Test drives from root's folder, on real files: only root-owned files no one else can write
 * count (another owner, a group-writable file, a symlink, a FIFO: each ignored with a warning),
 * only in a folder whose every parent only root can change; the caller's environment never
 * counts; every listing reads the folder again.
 */
import { execFileSync } from 'node:child_process'
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachLoop, detachLoop, loopUnavailableReason } from '../testing/loop'
import { addTestDrives } from '../testing/test-drives'
import { tempName } from '../util/temp'
import { listDrives } from './drives'
import { TEST_DRIVES_DIR, testDrivesFromRootFolder } from './test-drives'

const skip = loopUnavailableReason()
if (skip) console.log(`[test-drives.int] skipped: ${skip}`)

describe.skipIf(skip)('test drives from root-owned files', () => {
  let dir = ''
  let card = ''
  let other = ''
  // Bad files and folders, made in root's folder and removed after; named as addTestDrives
  // names its files, so that a killed run's are removed by the next one.
  const made: string[] = []
  const removers: (() => Promise<void>)[] = []
  const unique = () => path.join(TEST_DRIVES_DIR, tempName('test-'))

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-test-drives-'))
    for (const name of ['card', 'other']) execFileSync('truncate', ['-s', '16M', path.join(dir, `${name}.disk`)])
    card = attachLoop(path.join(dir, 'card.disk'))
    other = attachLoop(path.join(dir, 'other.disk'))
  })

  afterAll(async () => {
    for (const remove of removers) await remove()
    for (const file of made) await rm(file, { recursive: true, force: true })
    for (const device of [card, other]) if (device) detachLoop(device)
    await rm(dir, { recursive: true, force: true })
  })

  /** A file in root's folder, made as the test says, removed after the suite. */
  async function badFile(make: (file: string) => Promise<unknown>): Promise<string> {
    const file = unique()
    made.push(file)
    await make(file)
    return file
  }

  it('lists the drives of root-owned 0644 files, and nothing from the caller\'s environment', async () => {
    removers.push(await addTestDrives([card]))
    const drives = await listDrives({ testDrives: 'root-file', env: { ORCHARD_TEST_DRIVES: other } })
    expect(drives.find((d) => d.device === card)).toMatchObject({ removable: true, system: false, busType: 'VIRTUAL' })
    expect(drives.find((d) => d.device === card)?.description).toMatch(new RegExp(`^Test drive ${card} \\(${TEST_DRIVES_DIR}/test-${process.pid}-[0-9a-f]+\\)$`))
    expect(drives.some((d) => d.device === other)).toBe(false)
    // …while the environment is what an unprivileged listing reads
    expect((await listDrives({ env: { ORCHARD_TEST_DRIVES: other } })).some((d) => d.device === other)).toBe(true)
  })

  it('ignores, with a warning, a file owned by another uid, a group-writable file, a symlink and a FIFO', async () => {
    const write = (mode: number) => async (file: string) => {
      await writeFile(file, `${other}\n`)
      await chmod(file, mode)
    }
    const foreign = await badFile(async (file) => {
      await write(0o644)(file)
      await chown(file, 65534, 65534)
    })
    const groupWritable = await badFile(write(0o664))
    const worldWritable = await badFile(write(0o646))
    const target = path.join(dir, 'elsewhere')
    await writeFile(target, `${other}\n`)
    const link = await badFile((file) => symlink(target, file))
    const fifo = await badFile(async (file) => execFileSync('mkfifo', ['-m', '0644', file]))

    const warnings: string[] = []
    const entries = await testDrivesFromRootFolder(TEST_DRIVES_DIR, (message) => warnings.push(message))
    expect(entries.some((entry) => entry.device === other)).toBe(false)
    expect(entries.some((entry) => entry.device === card)).toBe(true)
    expect(warnings).toEqual(
      expect.arrayContaining([
        `ignoring the test-drive file ${foreign}: it is owned by uid 65534, not root`,
        `ignoring the test-drive file ${groupWritable}: it is writable by its group or everyone (mode 0664)`,
        `ignoring the test-drive file ${worldWritable}: it is writable by its group or everyone (mode 0646)`,
        `ignoring the test-drive file ${link}: it is a symbolic link`,
        `ignoring the test-drive file ${fifo}: it is not a regular file`,
      ]),
    )
    expect((await listDrives({ testDrives: 'root-file' })).some((d) => d.device === other)).toBe(false)
  })

  it('ignores a whole folder that someone other than root can change, or that is a link', async () => {
    const warnings: string[] = []
    const warn = (message: string) => warnings.push(message)
    const underTmp = path.join(dir, 'test-drives.d') // /tmp is world-writable
    await mkdir(underTmp, { mode: 0o755 })
    await writeFile(path.join(underTmp, 'drives'), `${other}\n`, { mode: 0o644 })
    expect(await testDrivesFromRootFolder(underTmp, warn)).toEqual([])

    const groupWritable = unique()
    made.push(groupWritable)
    await mkdir(groupWritable)
    await chmod(groupWritable, 0o775)
    await writeFile(path.join(groupWritable, 'drives'), `${other}\n`, { mode: 0o644 })
    expect(await testDrivesFromRootFolder(groupWritable, warn)).toEqual([])

    const linked = unique()
    made.push(linked)
    await symlink(TEST_DRIVES_DIR, linked)
    expect(await testDrivesFromRootFolder(linked, warn)).toEqual([])

    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^ignoring the test drives in ${underTmp}: /\\S* is writable by its group or everyone \\(mode 0[0-7]{3}\\)$`)),
      `ignoring the test drives in ${groupWritable}: ${groupWritable} is writable by its group or everyone (mode 0775)`,
      `ignoring the test drives in ${linked}: ${linked} is not a folder (a symbolic link?)`,
    ])
  })

  it('reads the folder again at every listing: a removed file\'s drives are gone', async () => {
    const remove = await addTestDrives([other])
    expect((await listDrives({ testDrives: 'root-file' })).some((d) => d.device === other)).toBe(true)
    await remove()
    expect((await listDrives({ testDrives: 'root-file' })).some((d) => d.device === other)).toBe(false)
  })
})
