import { describe, expect, it } from 'vitest'
import { remoteError, speedNote } from './cloud-command'
import { exitCodeFor, EXIT } from './output'

describe('orchard cloud, its pure parts', () => {
  it('says download speed and time left', () => {
    expect(speedNote(0, null)).toBe('')
    expect(speedNote(10 << 20, null)).toBe('10.0 MiB/s')
    expect(speedNote(10 << 20, 65)).toBe('10.0 MiB/s, 1:05 left')
  })

  it('exits for a failed cloud build as for the same failure locally', () => {
    const checksum = remoteError('b1', 'CHECKSUM_MISMATCH: SHA256 mismatch for s3://x/y')
    expect(checksum).toMatchObject({ code: 'CHECKSUM_MISMATCH', message: 'Cloud build b1 failed: SHA256 mismatch for s3://x/y', detail: { id: 'b1' } })
    expect(exitCodeFor(checksum)).toBe(EXIT.source)
    expect(exitCodeFor(remoteError('b1', 'INTERNAL: boom'))).toBe(EXIT.failed)
    expect(remoteError('b1', undefined).message).toBe('Cloud build b1 failed: no reason given')
  })
})
