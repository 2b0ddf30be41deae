import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BuildError } from '../util/errors'
import { describeProblems, loadRecipe, parseRecipeYaml, recipeHash, type RecipeProblem } from './load'
import { armWork } from './schema'

const invalidDir = fileURLToPath(new URL('./invalid', import.meta.url))

describe('invalid recipes (builder/src/recipe/invalid)', async () => {
  const files = (await readdir(invalidDir)).filter((name) => name.endsWith('.yml')).sort()

  it('has a folder of at least 15 cases', () => expect(files.length).toBeGreaterThanOrEqual(15))

  it.each(files)('%s fails with the error its first line expects', async (file) => {
    const text = await readFile(path.join(invalidDir, file), 'utf8')
    const expected = /^# expect: (.*)$/m.exec(text)?.[1]
    expect(expected, 'the file starts with "# expect: <path>: <message>"').toBeTruthy()
    const error = await loadRecipe(path.join(invalidDir, file)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BuildError)
    const problems = ((error as BuildError).detail as { problems: RecipeProblem[] }).problems
    expect(describeProblems(problems).split('\n')).toContain(expected!.replace('bad.yml', file))
    expect((error as BuildError).code).toBe('INVALID_RECIPE')
  })
})

const valid = `name: fleet
source:
  path: source.img.xz
  sha256: 6F1E0B5C0D8B8A1E5F9C3B2A7D4E6F8091A2B3C4D5E6F708192A3B4C5D6E7F80
arch: armhf
system:
  hostname: sensor-{{serial}}
users:
  - name: pi
    password: raspberry-pie
    sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb5vOa4UZmYn0yd1NFhL3G5oCt2sSzeT3Xrbf8fc3Ql me@host"]
wifi:
  ssid: "ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ"
  passphrase: "12345678"
  country: DE
`

describe('a valid recipe', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-recipe-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('gets its defaults', () => {
    const recipe = parseRecipeYaml(valid)
    expect(recipe.users[0]).toMatchObject({ sudo: false, groups: [] })
    expect(recipe.outputs.image.compress).toBe('none')
    expect(recipe.startupScripts).toEqual({ runOnce: [], everyTime: [], resources: [] })
    expect(armWork(recipe)).toEqual([])
  })

  it('accepts a 32-byte SSID and an 8-character passphrase (the limits themselves)', () => {
    expect(parseRecipeYaml(valid).wifi?.ssid).toHaveLength(16)
  })

  it('names the files it needs that are missing, with their fields', async () => {
    const file = path.join(dir, 'recipe.yml')
    await writeFile(file, `${valid}startupScripts:\n  runOnce: [scripts/missing.sh]\n`)
    const error = (await loadRecipe(file).catch((e: unknown) => e)) as BuildError
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toContain(`source.path: file not found: ${path.join(dir, 'source.img.xz')}`)
    expect(error.message).toContain(`startupScripts.runOnce[0]: file not found: ${path.join(dir, 'scripts/missing.sh')}`)
  })

  it('says when the recipe file itself is missing', async () => {
    await expect(loadRecipe(path.join(dir, 'nope.yml'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: `Recipe not found: ${path.join(dir, 'nope.yml')}` })
  })

  it('reads unquoted digits as text: a numeric passphrase or PSK keeps its leading zeros', () => {
    const recipe = parseRecipeYaml(
      valid.replace('passphrase: "12345678"', 'psk: 0012345678901234567890123456789012345678901234567890123456789012'),
    )
    expect(recipe.wifi?.psk).toBe('0012345678901234567890123456789012345678901234567890123456789012')
    expect(parseRecipeYaml(valid.replace('"12345678"', '00012345')).wifi?.passphrase).toBe('00012345')
  })

  it('lists what needs ARM code', () => {
    const recipe = parseRecipeYaml(`${valid}packages: [cowsay]\ndocker: true\nsteps:\n  - {name: x, run: "true"}\n`)
    expect(armWork(recipe)).toEqual(['docker', 'packages', 'steps'])
  })

  it('hashes the recipe without its secrets', () => {
    const a = parseRecipeYaml(valid)
    const b = parseRecipeYaml(valid.replace('raspberry-pie', 'another-password').replace('"12345678"', '"87654321"'))
    const c = parseRecipeYaml(valid.replace('sensor-', 'probe-'))
    expect(recipeHash(a)).toBe(recipeHash(b))
    expect(recipeHash(a)).not.toBe(recipeHash(c))
  })
})
