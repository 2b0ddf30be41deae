/**
 * Flashing for real: a built .img.xz to two loop devices and an image file at once, each
 * card with its own device files, judged with mtools and fsck.fat; a card that fails
 * mid-write; and destinations refused before any byte is written.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage } from '../pipeline/build'
import { withCard } from './card'
import { parseDevicesCsv } from './devices-csv'
import { loadRecipe } from '../recipe/load'
import { fsckFat, makeDisk, sfdiskTable, sha256sum } from '../testing/disk-tools'
import { attachLoop, detachLoop, loopUnavailableReason } from '../testing/loop'
import { listDrives } from './drives'
import { flashImage, type FlashProgress, type FlashTarget } from './write'
import { readRecords } from './records'

const skip = loopUnavailableReason()
if (skip) console.log(`[flash.int] skipped: ${skip}`)

describe.skipIf(skip)('flashImage', () => {
  let dir: string
  let image: string // the built .img.xz
  let raw: string // the same image, uncompressed
  const loops: string[] = []
  const mounts: string[] = []
  const savedDrives = process.env.ORCHARD_TEST_DRIVES

  const loop = async (name: string, mib: number, options: { readOnly?: boolean; backing?: string } = {}) => {
    const file = options.backing ?? path.join(dir, `${name}.disk`)
    execFileSync('truncate', ['-s', `${mib}M`, file])
    const device = attachLoop(file, options)
    loops.push(device)
    return device
  }
  const drivesFor = async (...devices: string[]): Promise<FlashTarget[]> => {
    process.env.ORCHARD_TEST_DRIVES = devices.join(',')
    const drives = await listDrives()
    return devices.map((device) => ({ kind: 'drive', drive: drives.find((d) => d.device === device)! }))
  }
  const bootOffset = (disk: string) => sfdiskTable(disk).partitions[0]!.start * 512
  const mtypeAt = (disk: string, file: string) => execFileSync('mtype', ['-i', `${disk}@@${bootOffset(disk)}`, `::${file}`], { encoding: 'utf8' })
  const fatOf = (disk: string, name: string) => {
    const { start, size } = sfdiskTable(disk).partitions[0]!
    const out = path.join(dir, `${name}.fat`)
    execFileSync('dd', [`if=${disk}`, `of=${out}`, 'bs=512', `skip=${start}`, `count=${size}`, 'status=none'])
    return out
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-flash-'))
    // A small image built by our own builder, compressed with xz.
    const source = makeDisk(path.join(dir, 'base.img'), [{ type: 'c', filesystem: 'fat', mib: 40 }, { type: '83', filesystem: 'ext4', mib: 24 }])
    await writeFile(path.join(dir, 'recipe.yml'), `name: fleet\narch: arm64\nsource: { path: base.img, sha256: ${sha256sum(source)} }\nsystem: { hostname: default-host }\noutputs: { image: { compress: xz } }\n`)
    const built = await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache') })
    image = built.compressed!
    raw = built.image
  }, 120_000)

  afterAll(async () => {
    // Loops first: one is backed by a file on a tmpfs that cannot be unmounted while attached.
    for (const device of loops) detachLoop(device)
    for (const mount of mounts.reverse()) spawnSync('umount', [mount])
    process.env.ORCHARD_TEST_DRIVES = savedDrives
    await rm(dir, { recursive: true, force: true })
  })

  it('flashes 2 loop devices and 1 image file at once, each verified and with its own device files', async () => {
    const [a, b] = [await loop('a', 96), await loop('b', 96)]
    const file = path.join(dir, 'card-c.img')
    const targets = [...(await drivesFor(a, b)), { kind: 'file' as const, path: file }]
    const { devices } = parseDevicesCsv('\ufeffhostname,static ip\r\ncard-a,10.0.0.1/24\r\ncard-b,10.0.0.2/24\r\ncard-c,10.0.0.3/24\r\n')
    const progress: FlashProgress[] = []
    const records = await flashImage({
      image, targets, devices, cache: path.join(dir, 'cache'), recordsFile: path.join(dir, 'records.jsonl'), onProgress: (p) => progress.push(p),
    })

    expect(records.map((r) => [r.destination, r.hostname, r.ok, r.verified, r.error])).toEqual([
      [a, 'card-a', true, true, null],
      [b, 'card-b', true, true, null],
      [file, 'card-c', true, true, null],
    ])
    expect(new Set(records.map((r) => r.imageSha256))).toEqual(new Set([sha256sum(raw)]))
    for (const [disk, host] of [[a, 'card-a'], [b, 'card-b'], [file, 'card-c']] as const) {
      expect(mtypeAt(disk, '/startup-scripts/device.env')).toMatch(new RegExp(`^HOSTNAME=${host}$`, 'm'))
      expect(mtypeAt(disk, '/startup-scripts/run-once/first_run_setup.sh')).toContain("RECIPE_HOSTNAME='default-host'")
      const fat = fsckFat(fatOf(disk, host))
      expect(fat.ok, fat.output).toBe(true)
    }
    expect((await stat(file)).size).toBe((await stat(raw)).size) // exactly image-sized, although written sparse
    // Trimmed: free ext4 blocks and free FAT clusters are not written.
    expect(records[0]!.bytesWritten).toBeLessThan((await stat(raw)).size / 3)
    expect((await stat(file)).blocks * 512).toBeLessThan((await stat(raw)).size / 3)
    expect(records.every((r) => r.deviceFilesHash?.length === 64)).toBe(true)
    expect(new Set(records.map((r) => r.deviceFilesHash)).size).toBe(3)
    expect(await readRecords(path.join(dir, 'records.jsonl'))).toEqual(records)
    const phases = new Set(progress.filter((p) => p.target === a).map((p) => p.phase))
    expect([...phases]).toEqual(expect.arrayContaining(['preparing', 'flashing', 'verifying', 'device-files', 'done']))

    // Editing the flashed card (the block device itself) round trip; FAT stays clean.
    await withCard(a, 'write', async (card) => {
      await card.write('/startup-scripts/every-time/90-ping.sh', Buffer.from('#!/bin/sh\nping -c1 gateway\n'))
      expect((await card.read('/startup-scripts/device.env')).toString()).toMatch(/^HOSTNAME=card-a$/m)
    })
    expect(mtypeAt(a, '/startup-scripts/every-time/90-ping.sh')).toBe('#!/bin/sh\nping -c1 gateway\n')
    await withCard(a, 'write', (card) => card.remove('/startup-scripts/every-time/90-ping.sh'))
    expect(await withCard(a, 'read', async (card) => (await card.list()).map((e) => e.path))).not.toContain('/startup-scripts/every-time/90-ping.sh')
    expect(fsckFat(fatOf(a, 'edited')).ok).toBe(true)
  }, 120_000)

  it('keeps going when one card fails mid-write, and records which and why', async () => {
    // A loop device that claims 96 MiB over a file on a 1 MiB tmpfs: writes fail part way (even trimmed ones).
    const small = path.join(dir, 'small-fs')
    await mkdir(small)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small])
    mounts.push(small)
    const failing = await loop('failing', 96, { backing: path.join(small, 'disk') })
    const good = await loop('good', 96)
    const records = await flashImage({ image, targets: await drivesFor(failing, good), cache: path.join(dir, 'cache'), recordsFile: path.join(dir, 'fault.jsonl') })
    expect(records[0]).toMatchObject({ destination: failing, ok: false, verified: false })
    expect(records[0]!.error).toBeTruthy()
    expect(records[1]).toMatchObject({ destination: good, ok: true, verified: true, error: null })
    expect(mtypeAt(good, '/buildinfo/buildinfo.txt')).toContain('Orchard build: fleet')
    expect((await readRecords(path.join(dir, 'fault.jsonl'))).map((r) => r.ok)).toEqual([false, true])
  }, 120_000)

  it('stops one card alone at its next write (targetSignals): the other goes on to a verified card', async () => {
    const stopped = await loop('stopped', 96)
    const kept = await loop('kept', 96)
    const stop = new AbortController()
    const records = await flashImage({
      image,
      targets: await drivesFor(stopped, kept),
      cache: path.join(dir, 'cache'),
      recordsFile: null,
      targetSignals: [stop.signal, undefined],
      // Stopped as soon as the write is under way.
      onProgress: (progress) => progress.phase === 'flashing' && stop.abort(new Error('cancelled')),
    })
    expect(records[0]).toMatchObject({ destination: stopped, ok: false, verified: false, error: 'cancelled' })
    expect(records[1]).toMatchObject({ destination: kept, ok: true, verified: true, error: null })
    expect(mtypeAt(kept, '/buildinfo/buildinfo.txt')).toContain('Orchard build: fleet')
  }, 120_000)

  describe('refuses before writing anything', () => {
    it("a device whose device.env could not be written (a WIFI_PSK that is no passphrase): no card touched, the value never shown", async () => {
      const file = path.join(dir, 'never-wifi.img')
      const devices = [{ hostname: 'w-1', variables: { HOSTNAME: 'w-1', WIFI_SSID: 'net', WIFI_PSK: 'short' } }]
      const error = await flashImage({ image, targets: [{ kind: 'file', path: file }], devices, cache: path.join(dir, 'cache'), recordsFile: null }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'INVALID_INPUT', message: 'WIFI_PSK of w-1 must be a WPA2 passphrase of 8 to 63 printable ASCII characters, or the 64-hex-digit PSK' })
      expect(existsSync(file)).toBe(false)
    }, 60_000)

    it('a destination too small for the image, and a read-only one', async () => {
      const tiny = await loop('tiny', 16)
      const locked = await loop('locked', 96, { readOnly: true })
      const file = path.join(dir, 'never.img')
      const error = await flashImage({ image, targets: [...(await drivesFor(tiny, locked)), { kind: 'file', path: file }], cache: path.join(dir, 'cache') }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'UNSAFE_TARGET' })
      expect((error as Error).message).toMatch(new RegExp(`${tiny}.*too small`))
      expect((error as Error).message).toMatch(new RegExp(`${locked}.*read-only`, 'i'))
      expect(existsSync(file)).toBe(false)
    }, 60_000)

    it('the drive the image lives on', async () => {
      const home = await loop('home', 96)
      execFileSync('mkfs.ext4', ['-q', home])
      const mountPoint = path.join(dir, 'home-mount')
      await mkdir(mountPoint)
      execFileSync('mount', [home, mountPoint])
      mounts.push(mountPoint)
      const inside = path.join(mountPoint, 'image.img.xz')
      execFileSync('cp', [image, inside])
      const copied = sha256sum(inside)
      const error = await flashImage({ image: inside, targets: await drivesFor(home), cache: path.join(dir, 'cache') }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'UNSAFE_TARGET', message: expect.stringMatching(new RegExp(`${home}: .*`)) })
      // (A mounted filesystem changes its own superblock; judge by what a flash would have destroyed.)
      expect(execFileSync('blkid', ['-o', 'value', '-s', 'TYPE', home], { encoding: 'utf8' }).trim()).toBe('ext4')
      expect(sha256sum(inside)).toBe(copied)
    }, 60_000)

    it('a corrupted .xz: no card is written or reported good', async () => {
      const broken = path.join(dir, 'broken.img.xz')
      await writeFile(broken, readFileSync(image).subarray(0, 4000))
      const target = await loop('victim', 96)
      const before = sha256sum(target)
      const records = path.join(dir, 'broken.jsonl')
      const error = await flashImage({ image: broken, targets: await drivesFor(target), cache: path.join(dir, 'cache'), recordsFile: records }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'INVALID_SOURCE' })
      expect(sha256sum(target)).toBe(before)
      expect(await readRecords(records)).toEqual([])
    }, 60_000)
  })
})
