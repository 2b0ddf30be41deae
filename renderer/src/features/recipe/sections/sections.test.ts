/** The form has one section per builder feature, in the registry's order and with its title. */
import { expect, it } from 'vitest'
import { FEATURES } from '../../../../../builder/src/features/registry'
import { FEATURE_SECTIONS } from '.'

it('mirrors the builder registry: ids, titles, order, and which need a full build', () => {
  expect(FEATURE_SECTIONS.map(({ id, title, fullBuild }) => ({ id, title, fullBuild }))).toEqual(FEATURES.map((feature) => ({ id: feature.id, title: feature.title, fullBuild: 'arm' in feature })))
})
