import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mountPointsUnder, removeStaleTemps, removeTree, tempName } from './temp'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-temp-test-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

/** The pid of a process that has ended. */
const deadPid = () => spawnSync('true').pid!
const TWO_DAYS_AGO = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000)

describe('tempName', () => {
  it('carries this process id and a random part', () => {
    expect(tempName('.download-', '.partial')).toMatch(new RegExp(`^\\.download-${process.pid}-[0-9a-f]{8}\\.partial$`))
    expect(tempName('x-')).not.toBe(tempName('x-'))
  })
})

describe('removeStaleTemps', () => {
  it("removes what a dead process left, and keeps this process's, a live one's and others' names", async () => {
    const dead = deadPid()
    const names = {
      deadDir: `.tmp-build-${dead}-0a1b2c3d`,
      deadFile: `.tmp-build-arm64-${dead}-ffff0000`,
      mine: tempName('.tmp-build-'),
      live: `.tmp-build-${process.ppid}-12345678`,
      otherPrefix: `.tmp-kit-${dead}-0a1b2c3d`,
    }
    await mkdir(path.join(dir, names.deadDir, 'deep/er'), { recursive: true })
    await writeFile(path.join(dir, names.deadDir, 'deep/er/file'), 'x')
    for (const name of [names.deadFile, names.mine, names.live, names.otherPrefix]) await writeFile(path.join(dir, name), 'x')

    const removed = await removeStaleTemps(dir, '.tmp-build-')
    expect(removed.sort()).toEqual([path.join(dir, names.deadDir), path.join(dir, names.deadFile)].sort())
    for (const name of [names.mine, names.live, names.otherPrefix]) expect(existsSync(path.join(dir, name)), name).toBe(true)
  })

  it('removes leftovers older than the limit even when their pid is alive or unknown', async () => {
    const live = `.partial-${process.ppid}-0a1b2c3d`
    const noPid = '.partial-from-before'
    const young = '.partial-young'
    for (const name of [live, noPid, young]) await writeFile(path.join(dir, name), 'x')
    for (const name of [live, noPid]) await utimes(path.join(dir, name), TWO_DAYS_AGO, TWO_DAYS_AGO)
    const removed = await removeStaleTemps(dir, '.partial-')
    expect(removed.sort()).toEqual([path.join(dir, live), path.join(dir, noPid)].sort())
    expect(existsSync(path.join(dir, young))).toBe(true)
    expect(await removeStaleTemps(dir, '.partial-', { olderThanMs: -1 })).toEqual([path.join(dir, young)])
  })

  it('matches the suffix as well as the prefix', async () => {
    const dead = deadPid()
    await writeFile(path.join(dir, `.download-${dead}-0a1b2c3d.partial`), 'x')
    await writeFile(path.join(dir, `.download-${dead}-0a1b2c3d.json`), 'x')
    expect(await removeStaleTemps(dir, '.download-', { suffix: '.partial' })).toEqual([path.join(dir, `.download-${dead}-0a1b2c3d.partial`)])
  })

  it('removes a stale symlink, never what it points to', async () => {
    const outside = path.join(dir, 'precious')
    await mkdir(outside)
    await writeFile(path.join(outside, 'keep'), 'x')
    const link = path.join(dir, 'work', `.tmp-${deadPid()}-0a1b2c3d`)
    await mkdir(path.dirname(link))
    await symlink(outside, link)
    expect(await removeStaleTemps(path.dirname(link), '.tmp-')).toEqual([link])
    expect(existsSync(path.join(outside, 'keep'))).toBe(true)
  })

  it('is quiet about a folder that does not exist', async () => {
    expect(await removeStaleTemps(path.join(dir, 'missing'), '.tmp-')).toEqual([])
  })
})

describe('removeTree', () => {
  it('deletes a folder with its content, and a missing one without complaint', async () => {
    await mkdir(path.join(dir, 'tree/a/b'), { recursive: true })
    await writeFile(path.join(dir, 'tree/a/b/c'), 'x')
    await removeTree(path.join(dir, 'tree'))
    expect(existsSync(path.join(dir, 'tree'))).toBe(false)
    await removeTree(path.join(dir, 'tree'))
  })
})

describe('mountPointsUnder', () => {
  const mountinfo = [
    '22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw',
    '90 22 0:5 / /var/cache/orchard/full-build-1/root/proc rw - proc proc rw',
    '91 22 0:6 / /var/cache/orchard/full-build-1/root/dev rw - devtmpfs udev rw',
    '92 22 0:7 / /var/cache/orchard/full-build-10 rw - tmpfs tmpfs rw',
    '93 22 0:8 / /mnt/with\\040space rw - tmpfs tmpfs rw',
  ].join('\n')

  it('lists the mounts at or below a folder, and only those', () => {
    expect(mountPointsUnder('/var/cache/orchard/full-build-1', mountinfo)).toEqual([
      '/var/cache/orchard/full-build-1/root/proc',
      '/var/cache/orchard/full-build-1/root/dev',
    ])
    expect(mountPointsUnder('/mnt/with space', mountinfo)).toEqual(['/mnt/with space'])
  })
})
