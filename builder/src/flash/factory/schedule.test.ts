import { describe, expect, it } from 'vitest'
import { holdForFaster, ReaderTimes } from './schedule'

describe('holdForFaster', () => {
  const fast = (secondsLeft: number) => ({ secondsPerCard: 30, secondsLeft })

  it('starts a reader not measured yet, and any reader when no other is measured', () => {
    expect(holdForFaster(null, [fast(0)], 1)).toBe(false)
    expect(holdForFaster(120, [{ secondsPerCard: null, secondsLeft: 0 }], 1)).toBe(false)
  })

  it('holds a slow reader when two fast readers finish the last devices before it would finish one', () => {
    // Fast readers free in 5 and 20 s, 30 s a card: the 3 devices are done by 50 s; the slow one needs 120 s.
    expect(holdForFaster(120, [fast(5), fast(20)], 3)).toBe(true)
  })

  it('starts the slow reader once the queue is longer than the fast readers can finish first', () => {
    // 8 devices over two 30 s readers take until 125 s: the slow reader finishes one at 120 s.
    expect(holdForFaster(120, [fast(5), fast(20)], 8)).toBe(false)
  })

  it('starts a reader as fast as the others', () => {
    expect(holdForFaster(30, [fast(0)], 1)).toBe(false)
  })

})

describe('ReaderTimes', () => {
  it("counts a reader whose card just ended as free after a swap, at the swap time seen, and not after the horizon", () => {
    const times = new ReaderTimes()
    // loop0: a 30 s card ended at t=30 s, a fresh one went in 2 s later (one swap seen: the average of 10 and 2 is 6 s).
    times.cardEnded('/dev/loop0', 0, true, 30_000)
    times.cardIn('/dev/loop0', 32_000)
    times.cardEnded('/dev/loop0', 32_000, true, 62_000)
    expect(times.secondsPerCard('/dev/loop0')).toBe(30)
    // loop1 asks at t=63 s while loop0's card is out: loop0 is free in 5 s more.
    expect(times.others('/dev/loop1', [], 63_000)).toEqual([{ secondsPerCard: 30, secondsLeft: 5 }])
    // Writing for 10 s: 20 s left. Past the 60 s horizon with no card back: not counted.
    expect(times.others('/dev/loop1', [{ drive: '/dev/loop0', state: 'writing', startedAt: 70_000 }], 80_000)).toEqual([{ secondsPerCard: 30, secondsLeft: 20 }])
    expect(times.others('/dev/loop1', [], 62_000 + 61_000)).toEqual([])
    // A failed card gives no time per card; a refused reader is no reader.
    times.cardEnded('/dev/loop2', 0, false, 62_000)
    expect(times.secondsPerCard('/dev/loop2')).toBeNull()
    expect(times.others('/dev/loop1', [{ drive: '/dev/loop3', state: 'refused', startedAt: 0 }], 62_000)).toEqual([
      { secondsPerCard: 30, secondsLeft: 6 },
      { secondsPerCard: null, secondsLeft: 6 },
    ])
  })
})
