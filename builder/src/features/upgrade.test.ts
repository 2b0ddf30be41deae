/** `upgrade: true`: validated, needs a full build, and plans apt-get full-upgrade after the update and before any install. */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage } from '../pipeline/build'
import { parseRecipeYaml } from '../recipe/load'
import { armWork, type SealedRecipe } from '../recipe/schema'
import { stepPlan } from '../steps/plan'

const BASE = 'name: up\narch: arm64\nsource: { url: https://downloads.example.org/raspios.img.xz, sha256: 6f1e0b5c0d8b8a1e5f9c3b2a7d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f80 }\n'
const recipe = (extra: string) => parseRecipeYaml(BASE + extra) as unknown as SealedRecipe
const names = (extra: string) => stepPlan(recipe(extra)).steps.map((step) => step.name)

describe('upgrade', () => {
  it('is off by default and then plans nothing', () => {
    expect(recipe('').upgrade).toBe(false)
    expect(armWork(recipe(''))).toEqual([])
    expect(names('')).toEqual([])
  })

  it('needs a full build and upgrades after apt-get update, before the packages, then cleans', () => {
    expect(armWork(recipe('upgrade: true'))).toEqual(['upgrade'])
    expect(names('upgrade: true')).toEqual(['apt-get update', 'apt-get full-upgrade', 'clean apt caches'])
    expect(names('upgrade: true\npackages: [cowsay]\nsteps: [{ name: after, run: "true" }]')).toEqual(['apt-get update', 'apt-get full-upgrade', 'install cowsay', 'after', 'clean apt caches'])
  })

  it('runs without questions and keeps the image its changed config files', () => {
    const script = stepPlan(recipe('upgrade: true')).steps[1]!.script
    expect(script).toContain('apt-get full-upgrade -y')
    expect(script).toContain('--force-confold')
    expect(script).toContain('--force-confdef')
  })

  it('refuses anything but true or false, naming the field', () => {
    expect(() => recipe('upgrade: "yes"')).toThrow(/upgrade: must be true or false/)
    expect(() => recipe('upgrade: 1')).toThrow(/upgrade: must be true or false/)
  })

  it('is refused by a quick build, saying it needs ARM code', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-upgrade-'))
    try {
      const error = await buildImage({ recipe: parseRecipeYaml(BASE + 'upgrade: true'), baseDir: dir }, { outDir: dir, mode: 'quick' }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'INVALID_RECIPE', message: expect.stringContaining('(upgrade)') })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
