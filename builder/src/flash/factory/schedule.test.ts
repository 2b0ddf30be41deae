import { describe, expect, it } from 'vitest'
import { holdForFaster } from './schedule'

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
