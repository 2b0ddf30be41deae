/** The download's pure parts: part planning, checksum files, the speed meter. */
import { describe, expect, it } from 'vitest'
import { parseChecksumFile } from './object-facts'
import { planParts } from './parts'
import { SpeedMeter } from './speed-meter'

describe('planParts', () => {
  it('covers the object from the start offset in part-size steps, the last one short', () => {
    expect(planParts(0, 10, 4)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 8 },
      { start: 8, end: 10 },
    ])
    expect(planParts(8, 10, 4)).toEqual([{ start: 8, end: 10 }])
    expect(planParts(10, 10, 4)).toEqual([])
    expect(planParts(0, 0, 4)).toEqual([])
    expect(() => planParts(0, 10, 0)).toThrow(/Part size/)
  })
})

describe('parseChecksumFile', () => {
  it('reads sha256sum output and bare hashes', () => {
    const hash = 'AB'.repeat(32)
    expect(parseChecksumFile(`${hash}  image.img.xz\n`)).toBe(hash.toLowerCase())
    expect(parseChecksumFile(`${hash}\n`)).toBe(hash.toLowerCase())
    expect(parseChecksumFile('not a hash  image.img')).toBeNull()
    expect(parseChecksumFile('')).toBeNull()
  })
})

describe('SpeedMeter', () => {
  it('measures over a sliding window and estimates the time left', () => {
    const meter = new SpeedMeter(1000)
    expect(meter.speed()).toBe(0)
    expect(meter.eta(100)).toBeNull()
    meter.add(0, 0)
    meter.add(500, 500)
    expect(meter.speed()).toBe(1000)
    expect(meter.eta(2000)).toBe(2)
    // A stall: old samples leave the window, the speed falls.
    meter.add(3000, 600)
    meter.add(3500, 600)
    expect(meter.speed()).toBeLessThan(100)
  })
})
