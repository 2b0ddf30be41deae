/** Build ids: only what is safe as one S3 key segment. */
import { describe, expect, it } from 'vitest'
import { checkBuildId } from './build-keys'

describe('checkBuildId', () => {
  it('takes ids that are safe as one S3 key segment', () => {
    expect(() => checkBuildId('20250101-120000-1a2b3c4d')).not.toThrow()
    for (const bad of ['', '../x', 'a/b', '.hidden', 'a..b', 'x'.repeat(129)]) expect(() => checkBuildId(bad)).toThrow(/Not a build id/)
  })
})
