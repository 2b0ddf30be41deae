/**
 * The drive list on this machine: drivelist's view of the host disks, and loop devices
 * offered through ORCHARD_TEST_DRIVES (sizes checked against blockdev, read-only loops,
 * mounted partitions), judged by the safety rules; the watcher over both.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachLoop, detachLoop, loopUnavailableReason } from '../testing/loop'
import { waitFor } from '../testing/wait-for'
import { DriveWatcher, listDrives, testDrivesFromEnv, type Drive } from './drives'
import { checkDrive } from './safety'

const MiB = 1 << 20

/** The device mounted at / according to the kernel, or null when / is not a block device (overlay, in a container). */
async function rootDevice(): Promise<string | null> {
  const line = (await readFile('/proc/self/mounts', 'utf8')).split('\n').find((entry) => entry.split(' ')[1] === '/')
  const source = line?.split(' ')[0]
  return source?.startsWith('/dev/') ? source : null
}

describe('drivelist on this machine', () => {
  it('lists the host disks, the one holding / marked system', async () => {
    const { list } = await import('drivelist')
    const raw = await list()
    console.log(`[drives.int] drivelist: ${raw.map((d) => `${d.device} system=${d.isSystem} removable=${d.isRemovable} size=${d.size}`).join('; ')}`)
    expect(raw.length).toBeGreaterThan(0)
    expect(raw.some((drive) => drive.device.startsWith('/dev/loop'))).toBe(false) // drivelist hides loops: hence ORCHARD_TEST_DRIVES
    const drives = await listDrives({ env: {} })
    const root = await rootDevice()
    if (!root) return console.log('[drives.int] / is not on a block device here: no system disk to check')
    const system = drives.find((drive) => drive.mountpoints.includes('/'))
    expect(system, `the drive holding ${root}`).toBeDefined()
    expect(system).toMatchObject({ system: true, removable: false })
    expect(system!.systemUses).toContainEqual({ kind: 'mount', path: '/' }) // by what it holds, not only drivelist's flag
    expect(checkDrive(system!, { imageSize: MiB, imagePath: '/tmp/pi.img', busyDevices: [] }).map((issue) => issue.code)).toEqual(
      expect.arrayContaining(['SYSTEM_DRIVE', 'SOURCE_DRIVE']),
    )
  })
})

describe('DriveWatcher without devices', () => {
  it('reports a failed poll as an error and keeps polling', async () => {
    let calls = 0
    const watcher = new DriveWatcher({
      list: async () => {
        if (++calls === 1) throw new Error('lsblk exploded')
        return []
      },
    })
    const errors: Error[] = []
    const changes: Drive[][] = []
    watcher.on('error', (error) => errors.push(error))
    watcher.on('changed', (drives) => changes.push(drives))
    watcher.start(10)
    await waitFor('a good poll after the failed one', () => changes.length === 1)
    await waitFor('more polls', () => calls >= 5)
    watcher.stop()
    const stoppedAt = calls
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(errors.map((error) => error.message)).toEqual(['lsblk exploded'])
    expect(changes).toEqual([[]]) // the same empty list every time: one event
    expect(calls).toBe(stoppedAt)
  })

  it('survives a failed poll nobody listens for', async () => {
    let calls = 0
    const watcher = new DriveWatcher({ list: async () => (++calls < 3 ? Promise.reject(new Error('no lsblk')) : []) })
    watcher.start(10)
    await waitFor('polling past the failures', () => calls >= 4)
    watcher.stop()
    expect(watcher.current()).toEqual([])
  })
})

const skip = loopUnavailableReason()
if (skip) console.log(`[drives.int] loop device tests skipped: ${skip}`)

describe.skipIf(skip)('ORCHARD_TEST_DRIVES over loop devices', () => {
  let dir = ''
  let big = '' // 64 MiB
  let small = '' // 16 MiB
  let readOnly = '' // 8 MiB, losetup -r
  const loops: string[] = []
  const savedDrives = process.env.ORCHARD_TEST_DRIVES

  const loop = (name: string, mib: number, options: { readOnly?: boolean } = {}) => {
    const file = path.join(dir, `${name}.disk`)
    execFileSync('truncate', ['-s', `${mib}M`, file])
    const device = attachLoop(file, options)
    loops.push(device)
    return device
  }
  const blockdevSize = (device: string) => Number(execFileSync('blockdev', ['--getsize64', device], { encoding: 'utf8' }).trim())
  const find = (drives: Drive[], device: string) => {
    const drive = drives.find((d) => d.device === device)
    if (!drive) throw new Error(`${device} is not in the list: ${drives.map((d) => d.device).join(', ')}`)
    return drive
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-drives-'))
    try {
      big = loop('big', 64)
      small = loop('small', 16)
      readOnly = loop('ro', 8, { readOnly: true })
    } catch (error) {
      loops.forEach(detachLoop) // afterAll runs too, but a half-made setup must not leak loops if it does not
      loops.length = 0
      throw error
    }
  })

  const restoreEnv = () => {
    if (savedDrives === undefined) delete process.env.ORCHARD_TEST_DRIVES
    else process.env.ORCHARD_TEST_DRIVES = savedDrives
  }

  afterAll(async () => {
    restoreEnv()
    loops.forEach(detachLoop)
    await rm(dir, { recursive: true, force: true })
  })

  it('parses the variable', () => {
    expect(testDrivesFromEnv({ ORCHARD_TEST_DRIVES: ` ${big}, ,${small},` })).toEqual([big, small])
    expect(testDrivesFromEnv({})).toEqual([])
  })

  it('adds the named loops as removable, non-system, virtual drives with their real sizes', async () => {
    const drives = await listDrives({ env: { ORCHARD_TEST_DRIVES: `${big},${small}` } })
    for (const [device, mib] of [[big, 64], [small, 16]] as const) {
      const drive = find(drives, device)
      expect(drive.size).toBe(blockdevSize(device))
      expect(drive.size).toBe(mib * MiB)
      expect(drive).toMatchObject({
        device,
        raw: device,
        description: `Test drive ${device} (ORCHARD_TEST_DRIVES)`,
        removable: true,
        system: false,
        readOnly: false,
        virtual: true,
        busType: 'VIRTUAL',
        mountpoints: [],
        serial: null,
      })
      // What etcher-sdk's BlockDevice reads.
      expect(drive.source).toMatchObject({ device, raw: device, size: mib * MiB, isSystem: false, isRemovable: true, isReadOnly: false, blockSize: 512 })
    }
    expect((await listDrives({ env: {} })).some((drive) => drive.device === big)).toBe(false)
  })

  it('reports a read-only loop as read-only, which the rules refuse', async () => {
    const drive = find(await listDrives({ env: { ORCHARD_TEST_DRIVES: readOnly } }), readOnly)
    expect(drive.readOnly).toBe(true)
    expect(drive.source.isReadOnly).toBe(true)
    expect(checkDrive(drive, { imageSize: MiB, imagePath: null, busyDevices: [] }).map((issue) => issue.code)).toEqual(['READ_ONLY'])
  })

  it('judges sizes: a 32 MiB image is too big for 16 MiB and fits 64 MiB', async () => {
    const drives = await listDrives({ env: { ORCHARD_TEST_DRIVES: `${big},${small}` } })
    const context = { imageSize: 32 * MiB, imagePath: path.join(dir, 'pi.img'), busyDevices: [] }
    expect(checkDrive(find(drives, small), context)).toEqual([
      { code: 'TOO_SMALL', severity: 'error', message: `${small} (16.8 MB) is too small for the image (33.6 MB)` },
    ])
    expect(checkDrive(find(drives, big), context)).toEqual([])
  })

  it('refuses a name that is not a block device, naming it', async () => {
    await expect(listDrives({ env: { ORCHARD_TEST_DRIVES: `${big},/dev/null` } })).rejects.toThrow('ORCHARD_TEST_DRIVES names /dev/null, which is not a block device')
    const file = path.join(dir, 'big.disk')
    await expect(listDrives({ env: { ORCHARD_TEST_DRIVES: file } })).rejects.toThrow(`ORCHARD_TEST_DRIVES names ${file}, which is not a block device`)
    await expect(listDrives({ env: { ORCHARD_TEST_DRIVES: '/dev/orchard-missing' } })).rejects.toThrow('/dev/orchard-missing')
  })

  describe('a loop whose partition is mounted', () => {
    const missing = ['sfdisk', 'partx', 'mkfs.ext4', 'mount', 'umount'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
    let disk = ''
    let mountpoint = ''
    let mounted = false

    beforeAll(async () => {
      if (missing.length) return
      const file = path.join(dir, 'parted.disk')
      execFileSync('truncate', ['-s', '32M', file])
      execFileSync('sfdisk', ['--quiet', file], { input: 'label: dos\nstart=2048, type=83\n' })
      disk = attachLoop(file)
      loops.push(disk)
      execFileSync('partx', ['-a', disk]) // losetup -P makes no partition nodes here
      execFileSync('mkfs.ext4', ['-q', `${disk}p1`])
      mountpoint = path.join(dir, 'mount point') // a space: /proc/self/mounts escapes it
      await mkdir(mountpoint)
      execFileSync('mount', [`${disk}p1`, mountpoint])
      mounted = true
      await writeFile(path.join(mountpoint, 'pi.img'), Buffer.alloc(MiB))
    })

    afterAll(() => {
      if (mounted) spawnSync('umount', [mountpoint])
      if (disk) spawnSync('partx', ['-d', disk])
    })

    it.skipIf(missing.length > 0)(`shows the partition's mount point on the disk, so the image on it makes it the source drive (needs ${missing.join(', ') || 'nothing missing'})`, async () => {
      const drive = find(await listDrives({ env: { ORCHARD_TEST_DRIVES: disk } }), disk)
      expect(drive.mountpoints).toEqual([mountpoint])
      const issues = checkDrive(drive, { imageSize: MiB, imagePath: path.join(mountpoint, 'pi.img'), busyDevices: [] })
      expect(issues.map((issue) => issue.code)).toEqual(['SOURCE_DRIVE'])
      expect(issues[0]?.message).toContain(`${disk} (33.6 MB) holds the image ${mountpoint}/pi.img`)
    })
  })

  it('DriveWatcher emits when a drive is added, and not while nothing changes', async () => {
    process.env.ORCHARD_TEST_DRIVES = big
    let polls = 0
    const watcher = new DriveWatcher({ list: (options) => listDrives(options).finally(() => polls++) })
    const changes: Drive[][] = []
    watcher.on('changed', (drives) => changes.push(drives))
    const errors: Error[] = []
    watcher.on('error', (error) => errors.push(error))
    try {
      watcher.start(50)
      await waitFor('the first poll', () => changes.length === 1)
      expect(changes[0]?.some((drive) => drive.device === big)).toBe(true)
      expect(changes[0]?.some((drive) => drive.device === small)).toBe(false)

      const before = polls
      await waitFor('three more polls', () => polls >= before + 3)
      expect(changes).toHaveLength(1)

      process.env.ORCHARD_TEST_DRIVES = `${big},${small}`
      await waitFor('the change', () => changes.length === 2)
      expect(find(changes[1]!, small).size).toBe(16 * MiB)
      expect(watcher.current()).toBe(changes[1])

      const after = polls
      await waitFor('three more polls', () => polls >= after + 3)
      expect(changes).toHaveLength(2)
      expect(errors).toEqual([])
    } finally {
      watcher.stop()
      restoreEnv()
    }
    const stoppedAt = polls
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(polls).toBeLessThanOrEqual(stoppedAt + 1) // at most the poll that was running
    expect(changes).toHaveLength(2)
  })
})
