/** Redaction: secrets, crypt hashes and PSKs out, the last lines kept and cut to length. */
import { describe, expect, it } from 'vitest'
import { redactLines, STATUS_LINE_LENGTH, STATUS_LINES } from './redact'

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
