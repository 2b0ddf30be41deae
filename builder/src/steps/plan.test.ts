/** The step plan with a build time: every step, prepare and finish included, runs with it as SOURCE_DATE_EPOCH. */
import { describe, expect, it } from 'vitest'
import { parseRecipeYaml } from '../recipe/load'
import type { SealedRecipe } from '../recipe/schema'
import { stepPlan } from './plan'

const recipe = parseRecipeYaml(
  'name: p\narch: arm64\nsource: { url: https://downloads.example.org/raspios.img.xz, sha256: 6f1e0b5c0d8b8a1e5f9c3b2a7d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f80 }\npackages: [hello]\nsteps: [{ name: mine, run: "date > /etc/built" }]\n',
) as unknown as SealedRecipe

describe('stepPlan with a build time', () => {
  it('exports SOURCE_DATE_EPOCH first in every step and changes nothing else', () => {
    const plain = stepPlan(recipe)
    const pinned = stepPlan(recipe, 1700000000)
    const all = (plan: typeof plain) => [plan.prepare, ...plan.steps, plan.finish]
    expect(all(pinned).map((step) => step.name)).toEqual(all(plain).map((step) => step.name))
    all(pinned).forEach((step, index) => expect(step.script).toBe(`export SOURCE_DATE_EPOCH=1700000000\n${all(plain)[index]!.script}`))
  })
})
