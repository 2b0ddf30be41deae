import { describe, expect, it } from 'vitest'
import { formatBytes, formatSpeed } from './bytes'

describe('formatBytes', () => {
  it('counts in decimal units, as drives are labelled', () => {
    expect(formatBytes(7_948_206_080)).toBe('7.9 GB')
    expect(formatBytes(16 * 2 ** 20)).toBe('16.8 MB')
    expect(formatBytes(2e12)).toBe('2.0 TB')
    expect(formatBytes(1500)).toBe('1.5 kB')
    expect(formatBytes(1e9)).toBe('1.0 GB')
  })

  it('gives the exact count below 1 kB', () => {
    expect(formatBytes(0)).toBe('0 bytes')
    expect(formatBytes(999)).toBe('999 bytes')
  })

  it('takes the number of decimals', () => {
    expect(formatBytes(7_960_000_000, 2)).toBe('7.96 GB')
    expect(formatBytes(128e9, 0)).toBe('128 GB')
  })

  it('moves to the next unit when rounding reaches 1000', () => {
    expect(formatBytes(999_960)).toBe('1.0 MB')
    expect(formatBytes(999_960, 2)).toBe('999.96 kB')
    expect(formatBytes(999_999_999_999)).toBe('1.0 TB')
  })

  it('stays in TB above it', () => {
    expect(formatBytes(1500e12)).toBe('1500.0 TB')
  })
})

describe('formatSpeed', () => {
  it('is a size per second', () => {
    expect(formatSpeed(12_345_678)).toBe('12.3 MB/s')
  })
})
