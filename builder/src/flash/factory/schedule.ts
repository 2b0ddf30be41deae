/**
 * Whether a free reader should take the next device now or leave the rest of the queue to
 * faster readers. Near the end of a run, giving the last device to a slow reader makes every
 * fast reader idle while it finishes; a faster reader that frees up soon finishes it sooner.
 * Earliest-finish list scheduling over the readers' measured seconds per card: the free reader
 * starts if it finishes one of the waiting devices first, and holds otherwise.
 */
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
