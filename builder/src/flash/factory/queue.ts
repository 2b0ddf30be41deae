/**
 * The device table as a queue: each device waits, is being written (on one card), or is done.
 * A device is handed to one card at a time and never again once done, so no device is flashed
 * twice; a failed or pulled card puts its device back in the queue, in its table place.
 * Pure state: the factory persists it (state-file.ts) after every change.
 */
import type { FactoryQueueEntry, FlashDevice } from '../../vocabulary'

export type DeviceStatus = FactoryQueueEntry['status']
/** A device's place in the queue (the shape is the contract's, vocabulary.ts). */
export type QueueEntry = FactoryQueueEntry

export interface QueueCounts {
  pending: number
  writing: number
  done: number
  total: number
}

export class DeviceQueue {
  readonly #devices: Map<string, FlashDevice>
  readonly #entries: QueueEntry[]

  /** `saved`: entries of an earlier run, matched by hostname; a device it does not name starts pending. */
  constructor(devices: FlashDevice[], saved: QueueEntry[] = []) {
    const seen = new Set<string>()
    for (const { hostname } of devices) {
      if (seen.has(hostname)) throw new Error(`${hostname} is listed twice in the devices table`)
      seen.add(hostname)
    }
    this.#devices = new Map(devices.map((device) => [device.hostname, device]))
    const before = new Map(saved.map((entry) => [entry.hostname, entry]))
    this.#entries = devices.map(({ hostname }) => {
      const entry = before.get(hostname)
      // A card being written when the last run stopped never finished: its device waits again.
      if (entry?.status === 'writing') return { ...entry, status: 'pending', drive: null, lastError: entry.lastError ?? 'the run stopped while this card was written' }
      return entry ? { ...entry } : { hostname, status: 'pending', attempts: 0, drive: null, lastError: null, doneAt: null }
    })
  }

  /** The next device waiting, in table order, now marked as being written on `drive`; null when none waits. */
  take(drive: string): FlashDevice | null {
    const entry = this.#entries.find((e) => e.status === 'pending')
    if (!entry) return null
    entry.status = 'writing'
    entry.drive = drive
    entry.attempts++
    return this.#devices.get(entry.hostname)!
  }

  /** The card for `hostname` is good: done for good. */
  done(hostname: string, at = new Date()): void {
    const entry = this.#writing(hostname)
    entry.status = 'done'
    entry.lastError = null
    entry.doneAt = at.toISOString()
  }

  /** The card for `hostname` failed or was pulled: the device waits again, in its place. */
  failed(hostname: string, error: string): void {
    const entry = this.#writing(hostname)
    entry.status = 'pending'
    entry.drive = null
    entry.lastError = error
  }

  /** Done devices wait again (`--reflash`): asked for, never by itself. */
  reflashAll(): void {
    for (const entry of this.#entries) if (entry.status === 'done') Object.assign(entry, { status: 'pending', drive: null, doneAt: null })
  }

  counts(): QueueCounts {
    const count = (status: DeviceStatus) => this.#entries.filter((e) => e.status === status).length
    return { pending: count('pending'), writing: count('writing'), done: count('done'), total: this.#entries.length }
  }

  finished(): boolean {
    return this.#entries.every((e) => e.status === 'done')
  }

  entries(): QueueEntry[] {
    return this.#entries.map((entry) => ({ ...entry }))
  }

  #writing(hostname: string): QueueEntry {
    const entry = this.#entries.find((e) => e.hostname === hostname)
    if (entry?.status !== 'writing') throw new Error(`${hostname} is not being written`)
    return entry
  }
}
