/**
 * Flashing through the contract: core over the loopback bridge, the real writer process,
 * real loop devices and an image file; records, card editing, cancel and refusals.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { buildImage } from '../../builder/src/pipeline/build'
import { loadRecipe } from '../../builder/src/recipe/load'
import { fsckFat, extractPartition, makeDisk, mtype, sha256sum } from '../../builder/src/testing/disk-tools'
import { attachLoop, detachLoop, loopUnavailableReason } from '../../builder/src/testing/loop'
import { addTestDrives } from '../../builder/src/testing/test-drives'
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient, type Client } from '@common/client'
import type { FlashFinished } from '@common/contract'
import { createCore, type Core } from '../core'
import { startWriter } from '../core/services/writer-process'
import { startBridge, type Bridge } from './server'

const skip = loopUnavailableReason()
if (skip) console.log(`[bridge/flash.int] skipped: ${skip}`)

describe.skipIf(skip)('flash.* over the bridge', () => {
  let dir: string
  let image: string
  let core: Core
  let bridge: Bridge
  let client: Client
  const loops: string[] = []
  const removers: (() => Promise<void>)[] = []
  const saved = process.env.ORCHARD_TEST_DRIVES

  /** A loop device as a test drive: core lists it from ORCHARD_TEST_DRIVES (set by each test), the elevated writer from root's file. */
  const loop = async (name: string, mib: number) => {
    const file = path.join(dir, `${name}.disk`)
    execFileSync('truncate', ['-s', `${mib}M`, file])
    const device = attachLoop(file)
    loops.push(device)
    removers.push(await addTestDrives([device]))
    return device
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
    image = (await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache') })).compressed!
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

  it('flashes a drive and an image file in the writer process, with device files, records and progress', async () => {
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

  it('cancels a job by ending its writer; nothing is reported good', async () => {
    const { end } = await flash({ image, targets: [{ kind: 'file', path: path.join(dir, 'cancelled.img') }], verify: true }, { cancel: true })
    expect(end).toMatchObject({ ok: false, records: [], error: { code: 'CANCELLED' } })
  }, 60_000)

  it('does not accept a writer that cannot show the one-time token', async () => {
    const impostor = "const s=require('net').createConnection(process.argv[1]);s.on('connect',()=>{s.write(JSON.stringify({type:'hello',token:'guess'})+'\\n');setTimeout(()=>process.exit(0),300)})"
    await expect(startWriter({ command: process.execPath, args: ['-e', impostor] }, false)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('ended before connecting'),
    })
  }, 30_000)
})
