/**
 * Factory mode for real: 5 devices over 2 card readers (loop devices) throttled to SD-card-like
 * uneven speeds, cards inserted and swapped while it runs, and one card pulled mid-write. Every
 * device ends on a verified card with its own device files, the pulled one re-queued and done
 * later, every card's record in the running record file, no device flashed twice (a restart
 * with the same state file flashes nothing).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCardReaders, type CardReader, type CardReaders } from '../../testing/card-reader'
import { bootFileOnCard, payloadDisk } from '../../testing/disk-tools'
import { loopUnavailableReason } from '../../testing/loop'
import { createThrottleGroup, throttleUnavailableReason, type ThrottleGroup } from '../../testing/throttle'
import { waitFor } from '../../testing/wait-for'
import { readRecords } from '../records'
import type { FlashDevice } from '../write'
import { Factory, type FactoryEvent, type FactoryOptions } from './factory'

const skip = loopUnavailableReason() ?? throttleUnavailableReason()
if (skip) console.log(`[factory.int] skipped: ${skip}`)

const MB = 1_000_000

describe.skipIf(skip)('factory mode', () => {
  let dir: string
  let image: string
  let cards: CardReaders
  let throttle: ThrottleGroup
  const devices: FlashDevice[] = ['001', '002', '003', '004', '005'].map((n) => ({ hostname: `sensor-${n}`, variables: { HOSTNAME: `sensor-${n}`, SITE: `bay-${n}` } }))

  /** What a card holds: its device.env, read from the card itself with mtools. */
  const deviceEnvOn = (disk: string) => bootFileOnCard(disk, '/startup-scripts/device.env', dir)

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-factory-'))
    image = await payloadDisk(dir, { payloadMib: 4, fatMib: 40, rootMib: 16 })
    cards = createCardReaders(dir, 2, 64 << 20)
    throttle = createThrottleGroup()
    throttle.join() // this process writes the cards: held to each reader's rate
    // Uneven cards: a fast reader and one half as fast.
    throttle.limit(cards.readers[0]!.device, { writeBps: 6 * MB })
    throttle.limit(cards.readers[1]!.device, { writeBps: 3 * MB })
  })

  afterAll(async () => {
    throttle?.close()
    cards?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const options = (events: FactoryEvent[], onEvent: (event: FactoryEvent) => void = () => {}): FactoryOptions => ({
    image,
    devices,
    slots: 2,
    recordFile: path.join(dir, 'records.jsonl'),
    stateFile: path.join(dir, 'factory-state.json'),
    cache: path.join(dir, 'cache'),
    pollMs: 150,
    drives: { testDrivesDir: cards.testDrivesDir },
    eject: async () => null,
    onEvent: (event) => {
      if (process.env.ORCHARD_FACTORY_TRACE && event.type !== 'queue') console.log(Date.now() % 100000, JSON.stringify(event).slice(0, 200))
      events.push(event)
      onEvent(event)
    },
  })

  it('5 devices over 2 throttled readers, cards swapped as they finish and one pulled mid-write: 5 verified cards, none twice', async () => {
    const events: FactoryEvent[] = []
    const onCards = new Map<string, string>() // hostname → the device.env its card held when done
    const actions = new Map<string, Promise<void>>() // one chain per reader: its card goes out, then a fresh one in
    let pulled: string | null = null
    let factory: Factory | null = null
    const act = (reader: CardReader, step: () => Promise<void>) => {
      const next = (actions.get(reader.device) ?? Promise.resolve()).then(step)
      actions.set(reader.device, next.catch(() => {}))
    }
    // A fresh card goes in once the factory has seen the last one out (a person's swap takes seconds).
    const gone = new Map<string, () => void>()
    const seenOut = (drive: string) => new Promise<void>((resolve) => gone.set(drive, resolve))
    const swap = (reader: CardReader) =>
      act(reader, async () => {
        const out = seenOut(reader.device)
        if (reader.inserted) await reader.pull()
        await out
        if ((factory?.queue().pending ?? 0) > 0) await reader.insert()
      })
    const problems: unknown[] = []
    const operator = (event: FactoryEvent) => {
      try {
        operate(event)
      } catch (error) {
        problems.push(error)
        factory?.stop({ abort: true })
      }
    }
    const operate = (event: FactoryEvent) => {
      if (event.type === 'slot-gone') gone.get(event.drive)?.()
      if (event.type !== 'slot') return
      const reader = cards.readers.find((r) => r.device === event.slot.drive)!
      const { state, phase, fraction, hostname, message } = event.slot
      // The slow reader's first card is pulled a third of the way through its write.
      if (!pulled && reader === cards.readers[1] && state === 'writing' && phase === 'flashing' && (fraction ?? 0) > 0.3) {
        pulled = hostname
        swap(reader)
      } else if (state === 'done') {
        onCards.set(hostname!, deviceEnvOn(reader.device))
        swap(reader)
      } else if (state === 'waiting' && message.startsWith('no device waits')) {
        act(reader, () => reader.pull())
      }
    }

    factory = new Factory(options(events, operator))
    const run = factory.run()
    await factory.ready()
    for (const reader of cards.readers) await reader.insert()
    const started = Date.now()
    const summary = await run
    for (const out of gone.values()) out() // the run is over: nobody will see a card come out
    await Promise.all(actions.values())
    expect(problems).toEqual([])
    const seconds = (Date.now() - started) / 1000
    console.log(`[factory.int] 5 devices, 2 readers: ${seconds.toFixed(1)} s, ${summary.queue.cardsPerHour?.toFixed(0)} cards/hour; records: ${summary.records.map((r) => `${r.hostname}@${path.basename(r.destination)}:${r.ok ? 'ok' : 'failed'}`).join(' ')}`)

    // The pull happened mid-write and was recorded as such; that device was done later, on another card.
    expect(pulled).not.toBeNull()
    const failed = summary.records.filter((r) => !r.ok)
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ hostname: pulled, destination: cards.readers[1]!.device })
    expect(failed[0]!.error).toMatch(/^card pulled mid-write/)
    const good = summary.records.filter((r) => r.ok)
    expect(good.map((r) => r.hostname).sort()).toEqual(devices.map((d) => d.hostname))
    const pulledIndex = summary.records.indexOf(failed[0]!)
    expect(summary.records.findIndex((r) => r.ok && r.hostname === pulled)).toBeGreaterThan(pulledIndex)
    // Each card verified and with its own device files, read back from the card itself.
    for (const record of good) expect(record).toMatchObject({ verified: true, error: null, deviceFilesHash: expect.stringMatching(/^[0-9a-f]{64}$/) })
    for (const device of devices) {
      expect(onCards.get(device.hostname)).toContain(`HOSTNAME=${device.hostname}`)
      expect(onCards.get(device.hostname)).toContain(`SITE=${device.variables.SITE}`)
    }
    // Both readers worked; records complete in the running record file; the queue says done.
    expect(new Set(good.map((r) => r.destination))).toEqual(new Set(cards.readers.map((r) => r.device)))
    expect(await readRecords(path.join(dir, 'records.jsonl'))).toEqual(summary.records)
    expect(summary.queue).toMatchObject({ done: 5, pending: 0, writing: 0, total: 5 })
    expect(summary.queue.entries.find((e) => e.hostname === pulled)).toMatchObject({ attempts: 2, status: 'done' })
    expect(events.some((e) => e.type === 'slot' && /^done: sensor-00\d — swap the card$/.test(e.slot.message))).toBe(true)

    // A stop between the last card's record and the queue's save left its device 'writing': the
    // record settles it, so the restart with the same state flashes nothing again either.
    const stateFile = path.join(dir, 'factory-state.json')
    const state = JSON.parse(await readFile(stateFile, 'utf8'))
    const last = summary.records.at(-1)!.hostname
    state.entries.find((e: { hostname: string }) => e.hostname === last).status = 'writing'
    await writeFile(stateFile, JSON.stringify(state))
    const again: FactoryEvent[] = []
    const restarted = await new Factory(options(again)).run()
    expect(restarted.records).toEqual([])
    expect(again).toContainEqual({ type: 'message', text: 'every device in the table is done already (reflash to flash them again)' })
  }, 120_000)

  it('pause holds an inserted card until resume; a drive present before the mode started is never written; the state of another image is refused', async () => {
    const events: FactoryEvent[] = []
    const [present, fresh] = cards.readers
    for (const reader of cards.readers) if (reader.inserted) await reader.pull()
    await present!.insert() // there before the mode starts
    const stateFile = path.join(dir, 'paused-state.json')
    const factory = new Factory({ ...options(events), devices: devices.slice(0, 1), stateFile })
    const run = factory.run()
    await factory.ready()
    factory.pause()
    await fresh!.insert()
    await waitFor('the inserted card in the slots', () => factory.slots().some((s) => s.drive === fresh!.device))
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(factory.slots().find((s) => s.drive === fresh!.device)).toMatchObject({ state: 'waiting', hostname: null })
    factory.resume()
    const summary = await run
    expect(summary.records.map((r) => [r.hostname, r.destination, r.ok])).toEqual([['sensor-001', fresh!.device, true]])
    expect(events.some((e) => e.type === 'slot' && e.slot.drive === present!.device)).toBe(false)
    for (const reader of cards.readers) if (reader.inserted) await reader.pull()

    // The same state file with another image: refused with what to do, nothing flashed.
    const other = path.join(dir, 'other.img')
    await writeFile(other, await readFile(image))
    await writeFile(other, Buffer.from('changed'), { flag: 'r+' })
    const refused = await new Factory({ ...options([]), image: other, devices: devices.slice(0, 1), stateFile }).run().catch((error: unknown) => error)
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('--reflash') })
  }, 60_000)
})
