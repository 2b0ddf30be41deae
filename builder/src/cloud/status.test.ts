import { describe, expect, it } from 'vitest'
import { checkBuildId, nextInterval, redactLines, STATUS_LINE_LENGTH, STATUS_LINES } from './status'

describe('redactLines', () => {
  it('removes given secrets, crypt hashes and PSK assignments, and keeps sha256 sums', () => {
    const sum = 'ef'.repeat(32)
    expect(
      redactLines(['user pi: $y$j9T$abc$def and $6$rounds=5000$salt$hash', `wpa psk="${'0a'.repeat(32)}"`, 'key s3cr3t-value!', `sha256 ${sum}`], ['s3cr3t-value']),
    ).toEqual(['user pi: <redacted> and <redacted>', 'wpa psk="<redacted>"', 'key <redacted>!', `sha256 ${sum}`])
  })

  it('keeps the last lines, each cut to length', () => {
    const lines = Array.from({ length: STATUS_LINES + 5 }, (_, i) => `line ${i}`)
    expect(redactLines(lines)).toEqual(lines.slice(5))
    expect(redactLines(['x'.repeat(STATUS_LINE_LENGTH + 50)])[0]).toHaveLength(STATUS_LINE_LENGTH)
  })
})

describe('nextInterval', () => {
  it('backs off while nothing changes and starts over after a change', () => {
    expect(nextInterval(1000, false, 1000, 15000)).toBe(1500)
    expect(nextInterval(12000, false, 1000, 15000)).toBe(15000)
    expect(nextInterval(15000, true, 1000, 15000)).toBe(1000)
  })
})

describe('checkBuildId', () => {
  it('takes ids that are safe as one S3 key segment', () => {
    expect(() => checkBuildId('20250101-120000-1a2b3c4d')).not.toThrow()
    for (const bad of ['', '../x', 'a/b', '.hidden', 'a..b', 'x'.repeat(129)]) expect(() => checkBuildId(bad)).toThrow(/Not a build id/)
  })
})
