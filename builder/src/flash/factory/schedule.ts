/**
 * Whether a free reader should take the next device now or leave the rest of the queue to
 * faster readers. Near the end of a run, giving the last device to a slow reader makes every
 * fast reader idle while it finishes; a faster reader that frees up soon finishes it sooner.
 * Earliest-finish list scheduling over the readers' measured seconds per card: the free reader
 * starts if it finishes one of the waiting devices first, and holds otherwise.
 */
import type { FactorySlot } from '../../vocabulary'

export interface ReaderTiming {
  /** Seconds a whole card (write, verify, device files) took in this reader; null before its first. */
  secondsPerCard: number | null
  /** Seconds until its card in progress is done; 0 for a free reader. */
  secondsLeft: number
}

/** True when `others` would finish all `pending` devices before this reader finished one. */
export function holdForFaster(secondsPerCard: number | null, others: ReaderTiming[], pending: number): boolean {
  if (secondsPerCard === null || pending === 0) return false // not measured yet: every reader gets a first card
  const known = others.filter((other) => other.secondsPerCard !== null).map((other) => ({ free: other.secondsLeft, per: other.secondsPerCard! }))
  for (let device = 0; device < pending; device++) {
    const best = known.reduce<(typeof known)[number] | null>((min, other) => (!min || other.free + other.per < min.free + min.per ? other : min), null)
    if (!best || secondsPerCard <= best.free + best.per) return false
    best.free += best.per
  }
  return true
}

/** A person's card swap, until one is seen. */
const FIRST_SWAP_SECONDS = 10
/** A reader whose card ended is counted on for the next device this long (or 3 swaps, if longer); after that, not at all. */
const SWAP_HORIZON_SECONDS = 60

/** A reader as the factory sees it now: its card's state, and when that card started. */
export interface ReaderNow {
  drive: string
  state: FactorySlot['state']
  startedAt: number
}

/** What the scheduler knows of each reader (by drive path): seconds a whole card took, when its last card ended, how long swaps take. */
export class ReaderTimes {
  readonly #secondsPerCard = new Map<string, number>()
  readonly #endedAt = new Map<string, number>()
  /** Seconds from a card ending to the next one in the same reader, as seen (a moving average). */
  #swapSeconds = FIRST_SWAP_SECONDS

  /** A card went into `drive`: a swap seen, if its last card ended in the last 5 minutes. */
  cardIn(drive: string, now = Date.now()): void {
    const ended = this.#endedAt.get(drive)
    if (ended !== undefined && now - ended < 5 * 60_000) this.#swapSeconds = (this.#swapSeconds + (now - ended) / 1000) / 2
  }

  /** The card in `drive`, started at `startedAt`, ended; a good one's time is the reader's seconds per card. */
  cardEnded(drive: string, startedAt: number, ok: boolean, now = Date.now()): void {
    this.#endedAt.set(drive, now)
    if (ok) this.#secondsPerCard.set(drive, (now - startedAt) / 1000)
  }

  secondsPerCard(drive: string): number | null {
    return this.#secondsPerCard.get(drive) ?? null
  }

  /**
   * Every reader but `except` that can take a device soon: free, writing, or its card just
   * ended (in `readers` or already out: a fresh card expected after a swap; not after the horizon).
   */
  others(except: string, readers: ReaderNow[], now = Date.now()): ReaderTiming[] {
    const present = new Map(readers.map((reader) => [reader.drive, reader]))
    const drives = new Set([...present.keys(), ...this.#endedAt.keys()])
    drives.delete(except)
    const timings: ReaderTiming[] = []
    for (const drive of drives) {
      const secondsPerCard = this.secondsPerCard(drive)
      const reader = present.get(drive)
      const state = reader?.state ?? 'out'
      if (state === 'waiting') timings.push({ secondsPerCard, secondsLeft: 0 })
      else if (state === 'writing') timings.push({ secondsPerCard, secondsLeft: Math.max(0, (secondsPerCard ?? 0) - (now - reader!.startedAt) / 1000) })
      else if (state === 'done' || state === 'failed' || state === 'out') {
        const sinceEnded = (now - (this.#endedAt.get(drive) ?? 0)) / 1000
        if (sinceEnded < Math.max(SWAP_HORIZON_SECONDS, 3 * this.#swapSeconds)) timings.push({ secondsPerCard, secondsLeft: Math.max(0, this.#swapSeconds - sinceEnded) })
      }
    }
    return timings
  }
}
