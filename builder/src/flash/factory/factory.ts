/**
 * Factory mode: the device table is a queue, every card reader a slot of its own. A card
 * inserted in any reader (a drive that appears after the mode started and passes every
 * safety rule; never a system drive) gets the next device waiting; its pipeline (card-job.ts)
 * runs at its own speed, so a fast slot never waits on a slow one. A finished card is ejected
 * and its slot says "done: <host> — swap the card"; a card pulled mid-write, or failing,
 * puts its device back in the queue. Every card's record is appended as it ends, and the
 * queue saved after every change (state-file.ts): a restart never flashes a device twice
 * unless asked (reflash).
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { BuildError } from '../../util/errors'
import { cacheDir } from '../../util/paths'
import { tempName } from '../../util/temp'
import { checkFlashRecipe, customiseSource, type FlashRecipe } from '../customise-on-flash'
import { listDrives, type Drive, type DriveWatcherOptions } from '../drives'
import { appendRecords, type CardRecord } from '../records'
import { checkDrive, isFlashable } from '../safety'
import { deviceFilesOf, type FlashDevice } from '../write'
import { CardArrivals } from './arrivals'
import { flashCard, type CardJob, type SharedSource } from './card-job'
import { ejectCard } from './eject'
import type { FactoryQueue, FactorySlot } from '../../vocabulary'
import { DeviceQueue } from './queue'
import { cardsPerHour } from './rate'
import { holdForFaster, ReaderTimes } from './schedule'
import { factorySource } from './source'
import { settleInterrupted } from './interrupted'
import { loadFactoryState, saveFactoryState, type Contents } from './state-file'

export interface FactoryOptions {
  image: string
  devices: FlashDevice[]
  recipe?: FlashRecipe
  /** Cards written at once; a card inserted while all are busy waits for one. */
  slots?: number
  verify?: boolean
  /** The running record file: one JSON line per card as it ends. */
  recordFile: string
  /** The queue on disk (state-file.ts). */
  stateFile: string
  /** Flash devices an earlier run finished again (and accept a state file of other contents). */
  reflash?: boolean
  cache?: string
  /** How often the drive list is read. */
  pollMs?: number
  /** Where drives come from; test drives from the root-owned folder by default (they come and go at run time). */
  drives?: DriveWatcherOptions
  /** Runs one card's pipeline; flashCard (in this process) by default. The app hands each card to its writer process. */
  flashCard?: (job: CardJob) => Promise<CardRecord>
  /** Ejects a finished card; ejectCard by default. Returns a problem to show, or null. */
  eject?: (drive: Drive) => Promise<string | null>
  onEvent?: (event: FactoryEvent) => void
}

export type SlotState = FactorySlot['state']
/** A reader's slot as a person at it sees it ("done: sensor-014 — swap the card"); the shape is the contract's (vocabulary.ts). */
export type SlotView = FactorySlot
export type QueueView = FactoryQueue

export type FactoryEvent =
  | { type: 'message'; text: string }
  | { type: 'ready'; imageSha256: string; recipeSha256: string | null }
  | { type: 'slot'; slot: SlotView }
  | { type: 'slot-gone'; drive: string }
  | { type: 'queue'; queue: QueueView }
  | { type: 'record'; record: CardRecord }

export interface FactorySummary {
  records: CardRecord[]
  queue: QueueView
  seconds: number
}

interface Slot {
  view: SlotView
  drive: Drive
  /** Order of insertion: the longest-waiting card starts first. */
  since: number
  controller: AbortController | null
  pulled: boolean
  /** When its card started (Date.now()). */
  startedAt: number
}

export class Factory {
  readonly #options: FactoryOptions
  readonly #slots = new Map<string, Slot>()
  readonly #records: CardRecord[] = []
  readonly #doneAt: number[] = []
  /** What the scheduler plans with (schedule.ts). */
  readonly #readers = new ReaderTimes()
  readonly #jobId = randomUUID()
  #queue: DeviceQueue | null = null
  #shared: SharedSource | null = null
  #contents: Contents | null = null
  #arrivals: CardArrivals | null = null
  #paused = false
  #stopping = false
  #running = 0
  #inserted = 0
  #startedAt = 0
  // Saves and appends one at a time, in order.
  #writes: Promise<void> = Promise.resolve()
  #finish: () => void = () => {}
  #ready: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void }

  constructor(options: FactoryOptions) {
    this.#options = options
    let resolve!: () => void
    let reject!: (error: Error) => void
    const promise = new Promise<void>((res, rej) => ([resolve, reject] = [res, rej]))
    promise.catch(() => {}) // run() reports the same failure
    this.#ready = { promise, resolve, reject }
  }

  /** Resolves once the drives already present are known: a card inserted from then on is offered. */
  ready(): Promise<void> {
    return this.#ready.promise
  }

  /** Runs until every device is done, or stop(). */
  async run(): Promise<FactorySummary> {
    const { options } = { options: this.#options }
    const cache = options.cache ?? cacheDir()
    let editsFile: string | null = null
    let keepAlive: NodeJS.Timeout | undefined
    try {
      if (options.devices.length === 0) throw new BuildError('INVALID_INPUT', 'The devices table is empty: factory mode needs at least one device')
      if (options.slots !== undefined && !(Number.isInteger(options.slots) && options.slots >= 1)) throw new BuildError('INVALID_INPUT', `--slots must be a whole number of 1 or more, not ${options.slots}`)
      // Every device's files are made (and so checked) before a card is touched.
      for (const device of options.devices) deviceFilesOf(device)
      if (options.recipe) await checkFlashRecipe(options.recipe)
      this.#say('preparing the image (decompressed once, kept in the cache)')
      const source = await factorySource(options.image, cache)
      let edits: SharedSource['edits'] = null
      if (options.recipe) {
        editsFile = path.join(cache, 'tmp', tempName('flash-', '.edits'))
        await mkdir(path.dirname(editsFile), { recursive: true })
        const made = await customiseSource(options.recipe, source, editsFile, (message) => this.#say(message))
        edits = { file: made.edits, recipeSha256: made.recipeSha256 }
      }
      this.#shared = { image: options.image, source, edits }
      this.#contents = { imageSha256: source.sha256, recipeSha256: edits?.recipeSha256 ?? null }
      const saved = await loadFactoryState(options.stateFile, this.#contents, { reflash: options.reflash })
      this.#queue = new DeviceQueue(options.devices, await settleInterrupted(saved.entries, saved.jobId, options.recordFile))
      if (options.reflash) this.#queue.reflashAll()
      await this.#save()
      this.#emit({ type: 'ready', ...this.#contents })

      const finished = new Promise<void>((resolve) => (this.#finish = resolve))
      this.#startedAt = Date.now()
      if (this.#queue.finished()) {
        this.#say('every device in the table is done already (reflash to flash them again)')
        this.#ready.resolve()
      } else {
        const arrivals = new CardArrivals({ list: listDrives, testDrives: 'root-file', ...options.drives })
        this.#arrivals = arrivals
        arrivals.on('inserted', (drive) => this.#cardIn(drive))
        arrivals.on('removed', (device) => this.#cardOut(device))
        arrivals.on('error', (error) => this.#say(`reading the drive list failed: ${error.message}`))
        // Held readers are looked at again on every poll (a faster reader may slow down or go).
        // The drive watcher's timers never hold the process; waiting for cards must.
        keepAlive = setInterval(() => this.#startWaiting(), options.pollMs ?? 2000)
        await arrivals.start(options.pollMs ?? 2000)
        this.#say(`ready: insert cards (${this.#queue.counts().pending} devices wait)`)
        this.#emitQueue()
        this.#ready.resolve()
        await finished
      }
      return { records: [...this.#records], queue: this.#queueView(), seconds: (Date.now() - this.#startedAt) / 1000 }
    } catch (error) {
      this.#ready.reject(error as Error)
      throw error
    } finally {
      clearInterval(keepAlive)
      this.#arrivals?.stop()
      await this.#writes
      if (editsFile) await rm(editsFile, { force: true })
    }
  }

  /** No new card starts; the cards being written finish. */
  pause(): void {
    this.#paused = true
    this.#emitQueue()
  }

  resume(): void {
    this.#paused = false
    this.#emitQueue()
    this.#startWaiting()
  }

  /** Ends the run: with `abort`, the cards being written are stopped (their devices wait again); else they finish first. */
  stop({ abort = false } = {}): void {
    this.#stopping = true
    if (abort) for (const slot of this.#slots.values()) slot.controller?.abort()
    this.#checkFinished()
  }

  /** Stops the card being written in `drive` alone (its device waits again); false when none is. */
  stopCard(drive: string): boolean {
    const controller = this.#slots.get(drive)?.controller
    if (!controller) return false
    controller.abort()
    return true
  }

  slots(): SlotView[] {
    return [...this.#slots.values()].map((slot) => ({ ...slot.view }))
  }

  queue(): QueueView {
    return this.#queueView()
  }

  #cardIn(drive: Drive): void {
    const shared = this.#shared!
    const issues = [shared.image, shared.source.raw].flatMap((image) =>
      checkDrive(drive, { imageSize: shared.source.size, imagePath: path.resolve(image), busyDevices: [], allowSystemDrives: false }),
    )
    const slot: Slot = { view: view(drive.device, 'waiting', null, 'waiting for a free slot'), drive, since: this.#inserted++, controller: null, pulled: false, startedAt: 0 }
    this.#slots.set(drive.device, slot)
    this.#readers.cardIn(drive.device)
    if (!isFlashable(issues)) {
      const reasons = [...new Set(issues.filter((issue) => issue.severity === 'error').map((issue) => issue.message))]
      this.#update(slot, { state: 'refused', message: `refused: ${reasons.join('; ')}` })
      return
    }
    this.#emit({ type: 'slot', slot: { ...slot.view } })
    this.#startWaiting()
  }

  #cardOut(device: string): void {
    const slot = this.#slots.get(device)
    if (!slot) return
    if (slot.controller) {
      // Pulled mid-write: stop reading for it; the job ends it and re-queues the device.
      slot.pulled = true
      slot.controller.abort()
      return
    }
    this.#slots.delete(device)
    this.#emit({ type: 'slot-gone', drive: device })
    this.#startWaiting() // a reader held for this one may be needed now
    this.#checkFinished()
  }

  #startWaiting(): void {
    if (!this.#queue) return
    const limit = this.#options.slots ?? Infinity
    const waiting = [...this.#slots.values()].filter((slot) => slot.view.state === 'waiting').sort((a, b) => a.since - b.since)
    for (const slot of waiting) {
      if (this.#paused || this.#stopping || this.#running >= limit) break
      const pending = this.#queue.counts().pending
      if (pending === 0) {
        for (const rest of waiting.filter((s) => s.view.state === 'waiting')) this.#update(rest, { message: 'no device waits: every device is done or being written' })
        break
      }
      // Built again for each slot: a card started by this loop counts as being written.
      const readers = [...this.#slots.values()].map((s) => ({ drive: s.drive.device, state: s.view.state, startedAt: s.startedAt }))
      if (holdForFaster(this.#readers.secondsPerCard(slot.drive.device), this.#readers.others(slot.drive.device, readers), pending)) {
        this.#update(slot, { message: `held: faster readers finish the ${pending === 1 ? 'last device' : `last ${pending} devices`} sooner (leave the card in; it starts if they fall behind)` })
        continue
      }
      void this.#write(slot, this.#queue.take(slot.drive.device)!)
    }
  }

  async #write(slot: Slot, device: FlashDevice): Promise<void> {
    this.#running++
    const controller = new AbortController()
    slot.controller = controller
    slot.startedAt = Date.now()
    this.#update(slot, { state: 'writing', hostname: device.hostname, message: `writing ${device.hostname}` })
    this.#persist()
    this.#emitQueue()
    const record = await (this.#options.flashCard ?? flashCard)({
      shared: this.#shared!,
      drive: slot.drive,
      device,
      verify: this.#options.verify ?? true,
      jobId: this.#jobId,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.phase === 'done' || progress.phase === 'failed') return // the record says which
        this.#update(slot, {
          phase: progress.phase,
          fraction: progress.fraction ?? slot.view.fraction,
          speed: progress.speed ?? null,
          message: `${progress.phase} ${device.hostname}${progress.fraction !== undefined ? ` ${Math.round(progress.fraction * 100)} %` : ''}`,
        })
      },
    })
    // A failed write may be a pull the drive list has not shown yet (the I/O fails first): it is asked again.
    if (!record.ok && !slot.pulled) {
      await this.#arrivals?.freshList(10 * (this.#options.pollMs ?? 2000))
      if (!this.#arrivals?.current(slot.drive.device)) slot.pulled = true
    }
    slot.controller = null
    this.#readers.cardEnded(slot.drive.device, slot.startedAt, record.ok)
    if (slot.pulled && !record.ok) record.error = `card pulled mid-write: ${record.error ?? 'stopped'}`
    else if (controller.signal.aborted && !record.ok) record.error = `stopped: ${record.error ?? 'cancelled'}`
    if (record.ok) {
      this.#queue!.done(device.hostname)
      this.#doneAt.push(Date.now())
      const ejectProblem = await (this.#options.eject ?? ejectCard)(slot.drive).catch((error: Error) => error.message)
      this.#update(slot, { state: 'done', phase: 'done', fraction: 1, speed: null, message: `done: ${device.hostname} — swap the card${ejectProblem ? ` (${ejectProblem})` : ''}` })
    } else {
      this.#queue!.failed(device.hostname, record.error ?? 'failed')
      const what = controller.signal.aborted && !slot.pulled ? `stopped: ${device.hostname}` : `failed: ${device.hostname} (${record.error})`
      this.#update(slot, { state: 'failed', phase: 'failed', speed: null, message: `${what} — it waits again; swap the card` })
    }
    this.#records.push(record)
    this.#persist([record])
    this.#emit({ type: 'record', record })
    this.#running--
    // A pulled card's slot goes with it; a finished or failed one stays until its card comes out.
    if (slot.pulled || !this.#arrivals?.current(slot.drive.device)) {
      this.#slots.delete(slot.drive.device)
      this.#emit({ type: 'slot-gone', drive: slot.drive.device })
    }
    this.#emitQueue()
    this.#startWaiting()
    this.#checkFinished()
  }

  #checkFinished(): void {
    if (this.#running > 0 || !this.#queue) return
    if (this.#stopping || this.#queue.finished()) this.#finish()
  }

  /** The queue saved, and `records` appended, behind every earlier write. */
  #persist(records: CardRecord[] = []): void {
    const entries = this.#queue!.entries()
    this.#writes = this.#writes.then(async () => {
      if (records.length) await appendRecords(records, this.#options.recordFile)
      await saveFactoryState(this.#options.stateFile, this.#contents!, entries, this.#jobId)
    }).catch((error: Error) => this.#say(`saving the queue or records failed: ${error.message}`))
  }

  async #save(): Promise<void> {
    this.#persist()
    await this.#writes
  }

  #update(slot: Slot, change: Partial<SlotView>): void {
    if (Object.entries(change).every(([key, value]) => slot.view[key as keyof SlotView] === value)) return // nothing new to tell
    Object.assign(slot.view, change)
    this.#emit({ type: 'slot', slot: { ...slot.view } })
  }

  #queueView(): QueueView {
    const counts = this.#queue?.counts() ?? { pending: 0, writing: 0, done: 0, total: 0 }
    return { ...counts, paused: this.#paused, cardsPerHour: cardsPerHour(this.#doneAt, this.#startedAt, Date.now()), entries: this.#queue?.entries() ?? [] }
  }

  #emitQueue(): void {
    this.#emit({ type: 'queue', queue: this.#queueView() })
  }

  #say(text: string): void {
    this.#emit({ type: 'message', text })
  }

  #emit(event: FactoryEvent): void {
    try {
      this.#options.onEvent?.(event)
    } catch {
      // a listener's failure must not stop the cards
    }
  }
}

const view = (drive: string, state: SlotState, hostname: string | null, message: string): SlotView => ({ drive, state, hostname, phase: null, fraction: null, speed: null, message })
