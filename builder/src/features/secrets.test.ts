/** Every feature's example through every consumer of secrets: none shows a secret where it must not. */
import { describe, expect, it } from 'vitest'
import { parseRecipe } from '../recipe/load'
import { secretValues } from '../recipe/secrets'
import { secretLeaks } from '../testing/secret-leaks'
import { FEATURES } from './registry'

const BASE = { name: 'example', source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) }, arch: 'arm64' }

describe.each(FEATURES.map((feature) => [feature.id, feature] as const))('%s', (_id, feature) => {
  it('has an example the recipe schema accepts', () => {
    expect(() => parseRecipe({ ...BASE, ...feature.example })).not.toThrow()
  })

  it('shows none of its secrets in clear text anywhere', () => {
    expect(secretLeaks(feature.example)).toEqual([])
  })

  if ('secrets' in feature) {
    it('puts every declared secret in its example, so the check above sees it', () => {
      expect(secretValues(parseRecipe({ ...BASE, ...feature.example })).length).toBeGreaterThanOrEqual(feature.secrets?.length ?? 0)
    })
  }
})

it('all examples together show no secret either', () => {
  expect(secretLeaks(Object.assign({}, ...FEATURES.map((feature) => feature.example)))).toEqual([])
})
