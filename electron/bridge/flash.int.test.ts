/**
 * Flashing through the contract: core over the loopback bridge, the real writer process,
 * real loop devices and image files; records, card editing, cancel and refusals. Drives go
 * through the writer, image files are written by core (refused when a link or an existing
 * file that is no disk image); a writer killed mid-flash fails its cards and leaves no
 * process behind; a drive's card is edited only through the writer, which opens only
 * drives it lists itself.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { buildImage } from '../../builder/src/pipeline/build'
import { loadRecipe, recipeHash } from '../../builder/src/recipe/load'
import { e2fsck, fsckFat, extractPartition, makeDisk, mls, mtype, sha256sum } from '../../builder/src/testing/disk-tools'
import { attachLoop, detachLoop, loopUnavailableReason } from '../../builder/src/testing/loop'
import { addTestDrives } from '../../builder/src/testing/test-drives'
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient, type Client } from '@common/client'
import type { FlashFinished, FlashProgress } from '@common/contract'
import { createCore, type Core } from '../core'
import { startBridge, type Bridge } from './server'

const skip = loopUnavailableReason()
if (skip) console.log(`[bridge/flash.int] skipped: ${skip}`)

/** This process's children that run the writer entry, and any child left a zombie. */
function writerProcesses(): { pid: number; state: string }[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        const command = readFileSync(`/proc/${name}/cmdline`, 'utf8')
        const mine = Number(ppid) === process.pid && (command.includes('writer/index.ts') || state === 'Z')
        return mine ? [{ pid: Number(name), state: state! }] : []
      } catch {
        return [] // gone while looking
      }
    })
}

describe.skipIf(skip)('flash.* over the bridge', () => {
  let dir: string
  let image: string // the built .img.xz
  let raw: string // the same, uncompressed
  let core: Core
  let bridge: Bridge
  let client: Client
  const loops: string[] = []
  const removers: (() => Promise<void>)[] = []
  const saved = process.env.ORCHARD_TEST_DRIVES

  /** A loop device as a test drive (unless said otherwise): core lists it from ORCHARD_TEST_DRIVES (set by each test), the elevated writer from root's file. */
  const loop = async (name: string, mib: number, options: { testDrive?: boolean } = {}) => {
    const file = path.join(dir, `${name}.disk`)
    execFileSync('truncate', ['-s', `${mib}M`, file])
    const device = attachLoop(file)
    loops.push(device)
    if (options.testDrive !== false) removers.push(await addTestDrives([device]))
    return device
  }

  /** Random bytes in a partition of no known filesystem: written in full (no trim), slow enough to be caught mid-write. */
  let noisyImage = ''
  const noisy = () => {
    if (noisyImage) return noisyImage
    noisyImage = makeDisk(path.join(dir, 'noisy.img'), [{ type: '83', filesystem: 'none', mib: 192 }])
    execFileSync('dd', ['if=/dev/urandom', `of=${noisyImage}`, 'bs=1M', 'seek=4', 'count=192', 'conv=notrunc', 'status=none'])
    return noisyImage
  }

  /**
   * Calls `act` once, at `target`'s first 'flashing' progress, heard on core's own bus: through
   * the bridge it could come too late, the write over.
   */
  const onFirstFlashing = (target: string, act: (jobId: string) => void) => {
    let done = false
    return core.bus.listen((event, payload) => {
      const progress = payload as FlashProgress
      if (done || event !== 'flash.progress' || progress.target !== target || progress.phase !== 'flashing') return
      done = true
      act(progress.jobId)
    })
  }

  /** Starts a job and waits for its flash.finished, keeping its progress events. */
  async function flash(job: Parameters<Client['call']>[1] & object, options: { cancel?: boolean } = {}) {
    const phases: string[] = []
    let resolveResult: (result: FlashFinished) => void = () => {}
    const result = new Promise<FlashFinished>((resolve) => (resolveResult = resolve))
    let jobId = ''
    const offProgress = client.on('flash.progress', (p) => p.jobId === jobId && phases.push(`${path.basename(p.target)}:${p.phase}`))
    const offFinished = client.on('flash.finished', (r) => r.jobId === jobId && resolveResult(r))
    ;({ jobId } = await client.call('flash.start', job as never))
    if (options.cancel) expect(await client.call('flash.cancel', { jobId })).toEqual({ cancelled: true })
    const end = await result
    offProgress()
    offFinished()
    return { end, phases }
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-bridge-flash-'))
    const base = makeDisk(path.join(dir, 'base.img'), [{ type: 'c', filesystem: 'fat', mib: 40 }, { type: '83', filesystem: 'ext4', mib: 24 }])
    await writeFile(path.join(dir, 'recipe.yml'), `name: app\narch: arm64\nsource: { path: base.img, sha256: ${sha256sum(base)} }\noutputs: { image: { compress: xz } }\n`)
    const built = await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache') })
    image = built.compressed!
    raw = built.image
    core = createCore({ runtime: { name: 'orchard', version: '0', runtime: 'node' }, cache: path.join(dir, 'cache'), recordsFile: path.join(dir, 'records.jsonl') })
    bridge = await startBridge(core)
    client = createClient(createBridgeTransport(bridge.origin, bridge.token, WebSocket))
  }, 120_000)

  afterAll(async () => {
    await core?.flash.idle()
    core?.stop()
    await bridge?.close()
    for (const remove of removers) await remove()
    for (const device of loops) detachLoop(device)
    process.env.ORCHARD_TEST_DRIVES = saved
    await rm(dir, { recursive: true, force: true })
  })

  it('lists test drives with the issues that stop flashing this image', async () => {
    const [big, tiny] = [await loop('big', 96), await loop('tiny', 8)]
    process.env.ORCHARD_TEST_DRIVES = `${big},${tiny}`
    const { drives } = await client.call('drives.list', { image, showSystem: false })
    expect(drives.find((d) => d.device === big)).toMatchObject({ removable: true, system: false, issues: [] })
    expect(drives.find((d) => d.device === tiny)?.issues).toMatchObject([{ code: 'TOO_SMALL', severity: 'error' }])
    expect(drives.some((d) => d.system)).toBe(false)
  })

  it('flashes a drive (in the writer process) and an image file (in core) as one job, with device files, records and progress', async () => {
    const card = await loop('card', 96)
    process.env.ORCHARD_TEST_DRIVES = card
    const file = path.join(dir, 'card-2.img')
    const { end, phases } = await flash({
      image,
      targets: [{ kind: 'drive', device: card }, { kind: 'file', path: file }],
      devices: [{ hostname: 'app-one', variables: { SITE: 'north' } }, { hostname: 'app-two', variables: {} }],
      verify: true,
    })
    expect(end.error).toBeUndefined()
    expect(end.ok).toBe(true)
    expect(end.records.map((r) => [r.destination, r.hostname, r.ok, r.verified])).toEqual([[card, 'app-one', true, true], [file, 'app-two', true, true]])
    expect(phases).toEqual(expect.arrayContaining([`${path.basename(card)}:flashing`, `${path.basename(card)}:device-files`, `${path.basename(card)}:done`]))
    const fat = extractPartition(card, 1, path.join(dir, 'card.fat'))
    expect(mtype(fat, '/startup-scripts/device.env')).toMatch(/^HOSTNAME=app-one$[\s\S]*^SITE=north$/m)
    expect(fsckFat(fat).ok).toBe(true)

    expect((await client.call('records.list', {})).records.map((r) => r.hostname)).toEqual(['app-one', 'app-two'])
    const csv = path.join(dir, 'records.csv')
    expect(await client.call('records.export', { format: 'csv', path: csv })).toEqual({ path: csv, count: 2 })
    const rows = (await readFile(csv, 'utf8')).trim().split('\r\n')
    expect(rows[0]).toMatch(/^jobId,destination,kind,size,serial,hostname,imageSha256/)
    expect(rows).toHaveLength(3)
  }, 120_000)

  it('customises the stock image on the way (flash.start with a recipe): a drive through the writer and a file in core, each with the recipe and its device.env, verified; the image unchanged', async () => {
    const card = await loop('recipe-card', 96)
    process.env.ORCHARD_TEST_DRIVES = card
    const stock = path.join(dir, 'base.img')
    const before = sha256sum(stock)
    await mkdir(path.join(dir, 'scripts'), { recursive: true })
    await writeFile(path.join(dir, 'scripts/10-hello.sh'), '#!/bin/sh\necho hello\n')
    const recipe = path.join(dir, 'quick.yml')
    await writeFile(recipe, `name: quick\narch: arm64\nsource: { path: base.img, sha256: ${before} }\nsystem: { hostname: quick-default }\nstartupScripts: { runOnce: [scripts/10-hello.sh] }\n`)
    const file = path.join(dir, 'recipe-2.img')
    const { end } = await flash({
      image: stock,
      recipe,
      targets: [{ kind: 'drive', device: card }, { kind: 'file', path: file }],
      devices: [{ hostname: 'quick-one', variables: {} }, { hostname: 'quick-two', variables: {} }],
      verify: true,
    })
    expect(end.error).toBeUndefined()
    const hash = recipeHash((await loadRecipe(recipe)).recipe)
    expect(end.records.map((r) => [r.destination, r.ok, r.verified, r.imageSha256, r.recipeSha256])).toEqual([
      [card, true, true, before, hash],
      [file, true, true, before, hash],
    ])
    for (const [target, hostname] of [[card, 'quick-one'], [file, 'quick-two']] as const) {
      const fat = extractPartition(target, 1, path.join(dir, `${hostname}.fat`))
      expect(mls(fat, '/startup-scripts/run-once')).toEqual(['10-hello.sh', 'first_run_setup.sh'])
      expect(mtype(fat, '/startup-scripts/device.env')).toMatch(new RegExp(`^HOSTNAME=${hostname}$`, 'm'))
      expect(fsckFat(fat).ok).toBe(true)
      expect(e2fsck(extractPartition(target, 2, path.join(dir, `${hostname}.ext4`))).ok).toBe(true)
    }
    expect(sha256sum(stock)).toBe(before)
    expect(readdirSync(path.join(dir, 'cache', 'tmp')).filter((name) => name.endsWith('.edits'))).toEqual([])
    expect(writerProcesses()).toEqual([])
  }, 120_000)

  it('refuses at flash.start a recipe that needs ARM code, with the command that builds it: no writer, no file', async () => {
    const recipe = path.join(dir, 'arm.yml')
    await writeFile(recipe, `name: arm\narch: arm64\nsource: { path: base.img, sha256: ${sha256sum(path.join(dir, 'base.img'))} }\nsteps: [{ name: hello, run: echo hi }]\n`)
    const target = path.join(dir, 'never.img')
    await expect(client.call('flash.start', { image: path.join(dir, 'base.img'), recipe, targets: [{ kind: 'file', path: target }], verify: true })).rejects.toMatchObject({
      code: 'INVALID_RECIPE',
      message: expect.stringContaining(`(steps), which cannot be done on the way to the cards. Build the image first, then flash it: orchard build ${recipe} --out <dir> --mode docker`),
    })
    expect(existsSync(target)).toBe(false)
    expect(writerProcesses()).toEqual([])
  })

  it('edits the flashed image file through cards.*, leaving FAT clean', async () => {
    const target = path.join(dir, 'card-2.img')
    await client.call('cards.write', { target, path: '/startup-scripts/run-once/50-extra.sh', content: '#!/bin/sh\necho extra\n' })
    const { entries } = await client.call('cards.list', { target })
    expect(entries.map((e) => e.path)).toContain('/startup-scripts/run-once/50-extra.sh')
    expect((await client.call('cards.read', { target, path: '/startup-scripts/device.env' })).content).toMatch(/^HOSTNAME=app-two$/m)
    await client.call('cards.remove', { target, path: '/startup-scripts/run-once/50-extra.sh' })
    await expect(client.call('cards.write', { target, path: '/cmdline.txt', content: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect((await client.call('cards.buildInfo', { target })).buildInfo).toMatchObject({ name: 'app' })
    expect(fsckFat(extractPartition(target, 1, path.join(dir, 'card-2.fat'))).ok).toBe(true)
  }, 60_000)

  it('reports a refused job as a failed result, writing nothing', async () => {
    const tiny = await loop('tiny-2', 8)
    process.env.ORCHARD_TEST_DRIVES = tiny
    const before = sha256sum(tiny)
    const { end } = await flash({ image, targets: [{ kind: 'drive', device: tiny }], verify: true })
    expect(end).toMatchObject({ ok: false, records: [], error: { code: 'UNSAFE_TARGET' } })
    expect(sha256sum(tiny)).toBe(before)
  }, 60_000)

  it('cancels a job (an image file, written by core); nothing is reported good', async () => {
    const { end } = await flash({ image, targets: [{ kind: 'file', path: path.join(dir, 'cancelled.img') }], verify: true }, { cancel: true })
    expect(end).toMatchObject({ ok: false, records: [], error: { code: 'CANCELLED' } })
  }, 60_000)

  it('refuses a file destination that is a link or an existing file that is no disk image, and overwrites an existing image', async () => {
    const precious = path.join(dir, 'precious.txt')
    await writeFile(precious, 'not an image\n')
    const link = path.join(dir, 'link.img')
    await symlink(precious, link)
    for (const [target, reason] of [[link, /symbolic link/], [precious, /not a disk image/]] as const) {
      const { end } = await flash({ image, targets: [{ kind: 'file', path: target }], verify: true })
      expect(end).toMatchObject({ ok: false, records: [], error: { code: 'UNSAFE_TARGET', message: expect.stringMatching(reason) } })
    }
    expect(await readFile(precious, 'utf8')).toBe('not an image\n')

    const old = makeDisk(path.join(dir, 'old.img'), [{ type: 'c', filesystem: 'fat', mib: 40 }])
    const { end } = await flash({ image, targets: [{ kind: 'file', path: old }], verify: true })
    expect(end).toMatchObject({ ok: true, records: [{ destination: old, kind: 'file', ok: true }] })
    expect(sha256sum(old)).toBe(sha256sum(raw))
  }, 60_000)

  it('a writer killed mid-flash fails its card with the reason, the file flashed by core is unaffected, no writer is left, core goes on', async () => {
    const drive = await loop('killed', 256)
    process.env.ORCHARD_TEST_DRIVES = drive
    const file = path.join(dir, 'beside-the-killed.img')
    let killed = 0
    const stop = onFirstFlashing(drive, () => {
      killed = writerProcesses()[0]!.pid
      process.kill(killed, 'SIGKILL')
    })
    const { end } = await flash({ image: noisy(), targets: [{ kind: 'drive', device: drive }, { kind: 'file', path: file }], verify: true })
    stop()
    expect(killed).toBeGreaterThan(0)
    expect(end).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', message: expect.stringContaining('killed by SIGKILL') },
      records: [
        { destination: drive, kind: 'drive', ok: false, error: expect.stringContaining('killed by SIGKILL') },
        { destination: file, kind: 'file', ok: true, verified: true },
      ],
    })
    expect(writerProcesses()).toEqual([])
    const kept = (await client.call('records.list', {})).records.filter((record) => record.jobId === end.jobId)
    expect(kept.map((record) => [record.destination, record.ok])).toEqual([[drive, false], [file, true]])

    // Core goes on: the same drive again, this time to the end.
    expect((await flash({ image, targets: [{ kind: 'drive', device: drive }], verify: true })).end).toMatchObject({ ok: true, records: [{ destination: drive, ok: true }] })
    expect(writerProcesses()).toEqual([])
  }, 180_000)

  it('cancel of one card stops it alone: that drive fails as cancelled, the other drive and the image file are verified', async () => {
    const stopped = await loop('stopped-alone', 256)
    const kept = await loop('kept-on', 256)
    process.env.ORCHARD_TEST_DRIVES = `${stopped},${kept}`
    const file = path.join(dir, 'kept-on.img')
    const stop = onFirstFlashing(stopped, (jobId) => void core.flash.cancel({ jobId, destination: stopped }))
    const { end } = await flash({ image: noisy(), targets: [{ kind: 'drive', device: stopped }, { kind: 'drive', device: kept }, { kind: 'file', path: file }], verify: true })
    stop()
    expect(end.error).toBeUndefined()
    expect(end.ok).toBe(false)
    expect(end.records.map((r) => [r.destination, r.ok, r.verified, r.error])).toEqual([
      [stopped, false, false, 'cancelled'],
      [kept, true, true, null],
      [file, true, true, null],
    ])
    expect(writerProcesses()).toEqual([])
  }, 180_000)

  it('cancel mid-write stops what is still running: the drive fails as cancelled, no writer left', async () => {
    const drive = await loop('cancelled', 256)
    process.env.ORCHARD_TEST_DRIVES = drive
    const file = path.join(dir, 'cancelled-mid-write.img')
    const stop = onFirstFlashing(drive, (jobId) => core.flash.cancel({ jobId }))
    const { end } = await flash({ image: noisy(), targets: [{ kind: 'drive', device: drive }, { kind: 'file', path: file }], verify: true })
    stop()
    expect(end).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    const [driveRecord, fileRecord] = end.records
    expect(driveRecord).toMatchObject({ destination: drive, ok: false, error: expect.stringContaining('cancelled') })
    // Core's half (a file in the page cache) may finish within the second the writer takes to start:
    // then it is a good card, verified; otherwise it failed as cancelled. Never good unverified.
    expect(fileRecord?.destination).toBe(file)
    if (fileRecord?.ok) expect(fileRecord.verified).toBe(true)
    else expect(fileRecord?.error).toContain('cancelled')
    expect(writerProcesses()).toEqual([])
  }, 120_000)

  it('edits a card on a drive through the writer, which opens only drives it lists itself', async () => {
    const card = await loop('edited', 96)
    process.env.ORCHARD_TEST_DRIVES = card
    expect((await flash({ image, targets: [{ kind: 'drive', device: card }], verify: true })).end).toMatchObject({ ok: true })
    const script = '/startup-scripts/run-once/50-extra.sh'
    await client.call('cards.write', { target: card, path: script, content: '#!/bin/sh\necho extra\n' })
    expect((await client.call('cards.list', { target: card })).entries.map((e) => e.path)).toContain(script)
    expect((await client.call('cards.read', { target: card, path: script })).content).toBe('#!/bin/sh\necho extra\n')
    expect((await client.call('cards.buildInfo', { target: card })).buildInfo).toMatchObject({ name: 'app' })
    // The card step asks for the list and the build info at once: both answered, one after the other.
    const [listed, info] = await Promise.all([client.call('cards.list', { target: card }), client.call('cards.buildInfo', { target: card })])
    expect(listed.entries.length).toBeGreaterThan(0)
    expect(info.buildInfo).toMatchObject({ name: 'app' })
    // The card step's calls share one writer for the drive: one elevation prompt, not one per call.
    expect(writerProcesses()).toHaveLength(1)
    await client.call('cards.remove', { target: card, path: script })
    await expect(client.call('cards.write', { target: card, path: '/cmdline.txt', content: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(fsckFat(extractPartition(card, 1, path.join(dir, 'edited.fat'))).ok).toBe(true)

    // A block device that is no listed drive: core hands it to the writer, which refuses it.
    const unlisted = await loop('unlisted', 96, { testDrive: false })
    execFileSync('dd', [`if=${raw}`, `of=${unlisted}`, 'bs=1M', 'status=none'])
    await expect(client.call('cards.list', { target: unlisted })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('not a connected drive') })
    await core.cards.release()
    expect(writerProcesses()).toEqual([])
  }, 120_000)
})
