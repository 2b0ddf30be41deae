/**
 * Recipe files confined to the recipe's folder (symlinks resolved) unless the recipe lists
 * the folder in allowFilesOutside; real files, folders and links in a temp folder.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BuildError } from '../util/errors'
import { loadRecipe } from './load'
import { readRecipeFile, recipeFiles, SOURCE_ALLOWANCE } from './recipe-files'
import type { RecipeProblem } from './yaml'

let top: string
let project: string
let secret: string

const HEAD = `name: r
source: {url: "https://a.example/b.img.xz", sha256: "${'a'.repeat(64)}"}
arch: arm64
`

beforeAll(async () => {
  top = await mkdtemp(path.join(os.tmpdir(), 'orchard-recipe-files-'))
  project = path.join(top, 'project')
  await mkdir(path.join(project, 'scripts'), { recursive: true })
  await mkdir(path.join(top, 'keys'))
  await mkdir(path.join(top, 'elsewhere'))
  secret = path.join(top, 'keys', 'id_ed25519')
  await writeFile(secret, 'PRIVATE KEY\n')
  await writeFile(path.join(top, 'elsewhere', 'other.txt'), 'other\n')
  await writeFile(path.join(project, 'motd'), 'hello\n')
  await writeFile(path.join(project, 'scripts', 'a.sh'), 'echo a\n')
  await symlink(secret, path.join(project, 'innocent.txt'))
  await symlink(path.join(top, 'keys'), path.join(project, 'linked-folder'))
  await symlink('motd', path.join(project, 'motd-link'))
})
afterAll(() => rm(top, { recursive: true, force: true }))

async function load(body: string) {
  const file = path.join(project, 'recipe.yml')
  await writeFile(file, `${HEAD}${body}`)
  return loadRecipe(file)
}

async function refusal(body: string): Promise<{ code: string; problems: RecipeProblem[] }> {
  const error = (await load(body).catch((e: unknown) => e)) as BuildError
  expect(error).toBeInstanceOf(BuildError)
  return { code: error.code, problems: (error.detail as { problems: RecipeProblem[] }).problems }
}

describe('recipe files outside the recipe folder', () => {
  it('an absolute path to a private key is refused at its field', async () => {
    const { code, problems } = await refusal(`files: [{source: ${secret}, target: /root/.ssh/id}]\n`)
    expect(code).toBe('INVALID_RECIPE')
    expect(problems).toEqual([{ path: 'files[0].source', message: expect.stringContaining(`${secret} is outside the recipe's folder`) as string }])
  })

  it('a ../ path is refused (startup script, resource, firstBoot and dockerfile alike)', async () => {
    const { code, problems } = await refusal(
      'startupScripts: {runOnce: [../keys/id_ed25519], resources: [../keys/id_ed25519]}\nfirstBoot: [../elsewhere/other.txt]\ndockerfile: ../elsewhere/other.txt\n',
    )
    expect(code).toBe('INVALID_RECIPE')
    expect(problems.map((problem) => problem.path).sort()).toEqual(['dockerfile', 'firstBoot[0]', 'startupScripts.resources[0]', 'startupScripts.runOnce[0]'])
  })

  it('a symlink inside the folder that points outside counts as outside, and says where it leads', async () => {
    const { code, problems } = await refusal('files: [{source: innocent.txt, target: /etc/motd}]\n')
    expect(code).toBe('INVALID_RECIPE')
    expect(problems[0]!.message).toContain(`is a link to ${secret}, which is outside`)
  })

  it('a file under a symlinked folder that leads outside is refused', async () => {
    const { problems } = await refusal('startupScripts: {resources: [linked-folder/id_ed25519]}\n')
    expect(problems).toEqual([{ path: 'startupScripts.resources[0]', message: expect.stringContaining('is a link to') as string }])
  })

  it('a missing file outside is refused as outside, not reported as merely missing', async () => {
    const { code, problems } = await refusal('files: [{source: ../keys/nope, target: /a}]\n')
    expect(code).toBe('INVALID_RECIPE')
    expect(problems[0]!.message).toContain('outside')
  })

  it('a folder named as a file is refused (only regular files are carried)', async () => {
    const { code, problems } = await refusal('startupScripts: {resources: [scripts]}\n')
    expect(code).toBe('INVALID_RECIPE')
    expect(problems[0]).toEqual({ path: 'startupScripts.resources[0]', message: expect.stringContaining('not a regular file') as string })
  })

  it('a named pipe is refused before anything reads it (reading would hang the build)', async () => {
    execFileSync('mkfifo', [path.join(project, 'pipe')])
    const { code, problems } = await refusal('files: [{source: pipe, target: /a}]\n')
    expect(code).toBe('INVALID_RECIPE')
    expect(problems[0]!.message).toContain('not a regular file')
  })
})

describe('allowFilesOutside', () => {
  it('admits files under a listed folder (relative to the recipe) and shows which entry admitted each', async () => {
    const { recipe, baseDir } = await load('allowFilesOutside: [../keys]\nfiles: [{source: ../keys/id_ed25519, target: /a}, {source: motd-link, target: /b}]\n')
    const files = await recipeFiles(recipe, baseDir)
    expect(files).toEqual([
      { field: 'files[0].source', file: '../keys/id_ed25519', path: secret, size: 12, allowedBy: 'allowFilesOutside[0]' },
      { field: 'files[1].source', file: 'motd-link', path: path.join(project, 'motd'), size: 6, allowedBy: 'recipe folder' },
    ])
  })

  it('admits a link inside the folder to a file under a listed folder, and nothing beside it', async () => {
    const { problems } = await refusal(`allowFilesOutside: [${path.join(top, 'keys')}]\nfiles: [{source: innocent.txt, target: /a}, {source: ../elsewhere/other.txt, target: /b}]\n`)
    expect(problems.map((problem) => problem.path)).toEqual(['files[1].source'])
  })

  it('a listed folder that does not exist admits nothing, and the refusal says so', async () => {
    const { problems } = await refusal('allowFilesOutside: [../kyes]\nfiles: [{source: ../keys/id_ed25519, target: /a}]\n')
    expect(problems[0]!.message).toContain(`allowFilesOutside[0] ${path.join(top, 'kyes')} does not exist`)
  })
})

describe('the source image', () => {
  it('may be anywhere (its SHA256 pins it) and is listed as such', async () => {
    const image = path.join(top, 'elsewhere', 'other.txt')
    const file = path.join(project, 'recipe.yml')
    await writeFile(file, `name: r\nsource: {path: ${image}, sha256: "${'a'.repeat(64)}"}\narch: arm64\n`)
    const { recipe, baseDir } = await loadRecipe(file)
    expect(await recipeFiles(recipe, baseDir)).toEqual([{ field: 'source.path', file: image, path: image, size: 6, allowedBy: SOURCE_ALLOWANCE }])
  })
})

describe('readRecipeFile', () => {
  it('checks again as it reads: a file replaced by a link outside after loading is refused', async () => {
    await writeFile(path.join(project, 'swapped'), 'fine\n')
    const { recipe, baseDir } = await load('files: [{source: swapped, target: /a}]\n')
    expect((await readRecipeFile(recipe, baseDir, 'swapped', 'files[0].source')).toString()).toBe('fine\n')
    await rm(path.join(project, 'swapped'))
    await symlink(secret, path.join(project, 'swapped'))
    await expect(readRecipeFile(recipe, baseDir, 'swapped', 'files[0].source')).rejects.toMatchObject({ code: 'INVALID_RECIPE', message: expect.stringContaining('files[0].source: ') as string })
    expect(await readFile(secret, 'utf8')).toBe('PRIVATE KEY\n')
  })
})
