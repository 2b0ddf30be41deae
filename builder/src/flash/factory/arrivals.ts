/**
 * Cards going in and coming out, from the drive list's changes. The drives present when the
 * mode starts are never offered (whatever they hold, nobody inserted them for this run); one
 * that leaves and comes back is a new card like any other.
 */
import { EventEmitter } from 'node:events'
import { DriveWatcher, listDrives, type Drive, type DriveWatcherOptions } from '../drives'

interface ArrivalEvents {
  inserted: [drive: Drive]
  removed: [device: string]
  error: [error: Error]
}

export class CardArrivals extends EventEmitter<ArrivalEvents> {
  readonly #watcher: DriveWatcher
  /** Every drive listed at the last poll. */
  readonly #present = new Map<string, Drive>()
  #started = false
  readonly #ready: Promise<void>
  #markReady!: () => void
  /** Drive-list reads begun, and who waits for a count of them. */
  #polls = 0
  #pollWaiters: { at: number; resolve: () => void }[] = []

  constructor(options: DriveWatcherOptions = {}) {
    super()
    const { list = listDrives } = options
    this.#watcher = new DriveWatcher({
      ...options,
      list: (listOptions) => {
        this.#polls++
        for (const waiter of this.#pollWaiters.filter((w) => w.at <= this.#polls)) waiter.resolve()
        this.#pollWaiters = this.#pollWaiters.filter((w) => w.at > this.#polls)
        return list(listOptions)
      },
    })
    this.#ready = new Promise((resolve) => (this.#markReady = resolve))
    this.#watcher.on('changed', (drives) => this.#changed(drives))
    this.#watcher.on('error', (error) => this.emit('error', error))
  }

  /** Resolves once the drives already there are known (and so will never be offered). */
  start(pollMs = 2000): Promise<void> {
    this.#watcher.start(pollMs)
    return this.#ready
  }

  stop(): void {
    this.#watcher.stop()
  }

  /**
   * Resolves once a drive list read begun after this call has been taken in (the read after it
   * has begun, so the one before has emitted): whether a card whose write just failed is still
   * there. Gives up after `ms`.
   */
  async freshList(ms = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      new Promise<void>((resolve) => this.#pollWaiters.push({ at: this.#polls + 2, resolve })),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    ])
    clearTimeout(timer)
  }

  /** The drive now listed at `device`, if any. */
  current(device: string): Drive | undefined {
    return this.#present.get(device)
  }

  #changed(drives: Drive[]): void {
    const listed = new Map(drives.map((drive) => [drive.device, drive]))
    const first = !this.#started
    this.#started = true
    for (const device of [...this.#present.keys()]) {
      if (listed.has(device)) continue
      this.#present.delete(device)
      this.emit('removed', device)
    }
    for (const [device, drive] of listed) {
      const known = this.#present.has(device)
      this.#present.set(device, drive)
      if (!known && !first) this.emit('inserted', drive)
    }
    if (first) this.#markReady()
  }
}
