/** Following a status: the poll interval backs off and starts over. */
import { describe, expect, it } from 'vitest'
import { nextInterval } from './follow-status'

describe('nextInterval', () => {
  it('backs off while nothing changes and starts over after a change', () => {
    expect(nextInterval(1000, false, 1000, 15000)).toBe(1500)
    expect(nextInterval(12000, false, 1000, 15000)).toBe(15000)
    expect(nextInterval(15000, true, 1000, 15000)).toBe(1000)
  })
})
