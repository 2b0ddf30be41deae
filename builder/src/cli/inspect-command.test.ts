import { describe, expect, it } from 'vitest'
import { RELEASE_SHAPES } from '../testing/release-shapes'
import { mechanismLine } from './inspect-command'

describe('orchard inspect: who applies a build there', () => {
  it('names cloud-init and its seed on the cloud-init shape, first_run_setup.sh on every other', () => {
    for (const release of RELEASE_SHAPES) {
      const line = mechanismLine(release)
      if (release.shape === 'trixie-cloud-init') expect(line).toMatch(/^a build's settings go to cloud-init \(user-data, network-config, meta-data seeded from file:\/\/\/boot\/firmware\); first_run_setup\.sh applies the rest/)
      else expect(line).toMatch(/^a build's settings are applied by first_run_setup\.sh/)
    }
  })
})
