/**
 * factory.* through core's dispatcher with the real writer process: 3 devices over 2 loop
 * readers (throttled: the writer, started by this process, inherits its blkio group), each
 * card handed to the one writer of the run as a single-drive job; one card pulled mid-write
 * fails in the writer (ENOSPC) and its device is done later; every card verified with its
 * own device files; pause and state answer; a second start while one runs is refused. One
 * card stopped alone (factory.stopCard) ends failed, "stopped", while the other slot goes on.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CallResult, EventName, FactoryState } from '@common/contract'
import { createCardReaders, type CardReader, type CardReaders } from '../../../builder/src/testing/card-reader'
import { bootFileOnCard, payloadDisk } from '../../../builder/src/testing/disk-tools'
import { loopUnavailableReason } from '../../../builder/src/testing/loop'
import { addTestDrives } from '../../../builder/src/testing/test-drives'
import { createThrottleGroup, throttleUnavailableReason, type ThrottleGroup } from '../../../builder/src/testing/throttle'
import { waitFor } from '../../../builder/src/testing/wait-for'
import type { CardRecord } from '../../../builder/src/vocabulary'
import { createCore, type Core } from '../index'

const skip = loopUnavailableReason() ?? throttleUnavailableReason()
if (skip) console.log(`[core/factory.int] skipped: ${skip}`)

const MB = 1_000_000

describe.skipIf(skip)('factory.* in core, cards through the writer', () => {
  let dir: string
  let image: string
  let cards: CardReaders
  let throttle: ThrottleGroup
  let unlistForWriter: () => Promise<void>
  let core: Core
  const call = async (method: string, input: unknown) => {
    const result: CallResult = await core.dispatcher.dispatch(method, input)
    if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code })
    return result.value
  }
  const deviceEnvOn = (disk: string) => bootFileOnCard(disk, '/startup-scripts/device.env', dir)

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-core-factory-'))
    image = await payloadDisk(dir, { payloadMib: 4, fatMib: 40, rootMib: 16 })
    cards = createCardReaders(dir, 2, 64 << 20)
    // The writer lists drives itself, from root's own folder only: the readers are named there
    // too (core offers only those its own folder names while a card is in).
    unlistForWriter = await addTestDrives(cards.readers.map((r) => r.device))
    throttle = createThrottleGroup()
    throttle.join() // before the writer starts: it inherits the group
    throttle.limit(cards.readers[0]!.device, { writeBps: 6 * MB })
    throttle.limit(cards.readers[1]!.device, { writeBps: 3 * MB })
    core = createCore({
      runtime: { name: 'orchard', version: '0', runtime: 'node' },
      cache: path.join(dir, 'cache'),
      recordsFile: path.join(dir, 'records.jsonl'),
      dataDir: path.join(dir, 'data'),
      factory: { testDrivesDir: cards.testDrivesDir, pollMs: 150 },
    })
  })

  afterAll(async () => {
    await core?.factory.idle()
    core?.stop()
    throttle?.close()
    await unlistForWriter?.()
    cards?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('3 devices over 2 readers with a pull mid-write: 3 verified cards, each with its own device.env', async () => {
    const records: CardRecord[] = []
    const onCards = new Map<string, string>()
    const chains = new Map<string, Promise<void>>()
    const problems: unknown[] = []
    let pulled: string | null = null
    let ready = false
    let finished: (value: unknown) => void = () => {}
    const end = new Promise((resolve) => (finished = resolve))
    const act = (reader: CardReader, step: () => Promise<void>) =>
      chains.set(reader.device, (chains.get(reader.device) ?? Promise.resolve()).then(step).catch((error: unknown) => void problems.push(error)))
    // A fresh card goes in once core has seen the last one out.
    const gone = new Map<string, () => void>()
    const seenOut = (drive: string) => new Promise<void>((resolve) => gone.set(drive, resolve))
    const swap = (reader: CardReader) =>
      act(reader, async () => {
        const out = seenOut(reader.device)
        if (reader.inserted) await reader.pull()
        await out
        if ((core.factory.state().queue?.pending ?? 0) > 0) await reader.insert()
      })
    const stopListening = core.bus.listen((event: EventName, payload: unknown) => {
      if (process.env.ORCHARD_FACTORY_TRACE && event.startsWith('factory.') && event !== 'factory.queue') console.log(Date.now() % 100000, event, JSON.stringify(payload).slice(0, 240))
      try {
        if (event === 'factory.record') records.push((payload as { record: CardRecord }).record)
        if (event === 'factory.finished') {
          finished(payload)
          for (const out of gone.values()) out() // the run is over: nobody will see a card come out
        }
        if (event === 'factory.message' && (payload as { text: string }).text.startsWith('ready:')) ready = true
        if (event === 'factory.slotGone') gone.get((payload as { drive: string }).drive)?.()
        if (event !== 'factory.slot') return
        const { slot } = payload as { slot: FactoryState['slots'][number] }
        const reader = cards.readers.find((r) => r.device === slot.drive)!
        if (!pulled && reader === cards.readers[1] && slot.state === 'writing' && slot.phase === 'flashing' && (slot.fraction ?? 0) > 0.3) {
          pulled = slot.hostname
          swap(reader)
        } else if (slot.state === 'done') {
          onCards.set(slot.hostname!, deviceEnvOn(reader.device))
          swap(reader)
        } else if (slot.state === 'waiting' && slot.message.startsWith('no device waits')) {
          act(reader, () => reader.pull())
        }
      } catch (error) {
        problems.push(error)
      }
    })
    try {
      const devices = ['a', 'b', 'c'].map((n) => ({ hostname: `kiosk-${n}`, variables: { HOSTNAME: `kiosk-${n}`, ROOM: `room-${n}` } }))
      const { runId } = (await call('factory.start', { image, devices, slots: 2, stateFile: path.join(dir, 'state.json') })) as { runId: string }
      expect(runId).toMatch(/^[0-9a-f-]{36}$/)
      await expect(call('factory.start', { image, devices, stateFile: path.join(dir, 'other.json') })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
      // Cards go in once the run knows the drives already there (those are never offered).
      await waitFor('the factory ready', () => ready, 60_000)
      for (const reader of cards.readers) await reader.insert()
      const done = (await end) as { queue: FactoryState['queue']; error?: unknown }
      await Promise.all(chains.values())
      expect(problems).toEqual([])
      expect(done.error).toBeUndefined()
      expect(done.queue).toMatchObject({ done: 3, pending: 0, total: 3 })
      expect(pulled).not.toBeNull()
      const failed = records.filter((r) => !r.ok)
      expect(failed).toHaveLength(1)
      expect(failed[0]).toMatchObject({ hostname: pulled, destination: cards.readers[1]!.device })
      // The I/O fails at once; the pull, seen at the next poll, also cancels the writer's job.
      expect(failed[0]!.error).toMatch(/^card pulled mid-write: .*(ENOSPC|no space|cancelled)/i)
      expect(records.filter((r) => r.ok).map((r) => r.hostname).sort()).toEqual(devices.map((d) => d.hostname))
      for (const record of records.filter((r) => r.ok)) expect(record).toMatchObject({ verified: true, jobId: runId })
      for (const device of devices) expect(onCards.get(device.hostname)).toContain(`ROOM=${device.variables.ROOM}`)
      await core.factory.idle() // the run's writer has gone too
      expect(core.factory.state()).toEqual({ running: false, slots: [], queue: null })
    } finally {
      stopListening()
      for (const reader of cards.readers) if (reader.inserted) await reader.pull()
    }
  }, 120_000)

  it('stops one card alone: its device waits again, the other reader goes on to a verified card through the same writer', async () => {
    const records: CardRecord[] = []
    const slots = new Map<string, FactoryState['slots'][number]>()
    let ready = false
    const stopListening = core.bus.listen((event: EventName, payload: unknown) => {
      if (event === 'factory.record') records.push((payload as { record: CardRecord }).record)
      if (event === 'factory.message' && (payload as { text: string }).text.startsWith('ready:')) ready = true
      if (event === 'factory.slot') {
        const { slot } = payload as { slot: FactoryState['slots'][number] }
        slots.set(slot.drive, slot)
      }
    })
    const [fast, slow] = cards.readers as [CardReader, CardReader]
    try {
      const devices = ['x', 'y'].map((n) => ({ hostname: `desk-${n}`, variables: { HOSTNAME: `desk-${n}` } }))
      await call('factory.start', { image, devices, slots: 2, stateFile: path.join(dir, 'stop-card.json') })
      await waitFor('the factory ready', () => ready, 60_000)
      await expect(call('factory.stopCard', { drive: slow.device })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await fast.insert()
      await slow.insert()
      await waitFor('the slow card a quarter written', () => (slots.get(slow.device)?.fraction ?? 0) > 0.25 && slots.get(slow.device)?.phase === 'flashing', 60_000)
      const before = core.factory.state()
      expect(before.slots.filter((slot) => slot.state === 'writing')).toHaveLength(2)
      const after = (await call('factory.stopCard', { drive: slow.device })) as FactoryState
      expect(after.running).toBe(true)
      await waitFor('both cards ended', () => records.length === 2, 60_000)
      const stopped = records.find((r) => r.destination === slow.device)!
      const good = records.find((r) => r.destination === fast.device)!
      expect(stopped).toMatchObject({ ok: false, verified: false })
      expect(stopped.error).toBe('stopped: cancelled')
      expect(slots.get(slow.device)).toMatchObject({ state: 'failed', message: expect.stringMatching(/^stopped: desk-/) })
      expect(good).toMatchObject({ ok: true, verified: true })
      expect(deviceEnvOn(fast.device)).toContain(`HOSTNAME=${good.hostname}`)
      // The stopped card's device waits for the next card.
      expect(core.factory.state().queue).toMatchObject({ done: 1, pending: 1 })
      call('factory.stop', { abort: false })
      await core.factory.idle()
    } finally {
      stopListening()
      for (const reader of cards.readers) if (reader.inserted) await reader.pull()
    }
  }, 120_000)
})
