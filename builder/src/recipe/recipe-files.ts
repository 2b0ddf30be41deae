/**
 * The local files a recipe names, and the one check every reader of them goes through
 * (validate, build, build.zip packing): each must be a regular file inside the recipe's
 * folder once symlinks are resolved, or inside a folder the recipe lists in
 * `allowFilesOutside`. A recipe from someone else cannot quietly carry `~/.ssh` into an
 * image or a build.zip: the opt-in is in the recipe, and the list below shows every file.
 *
 * `source.path` is the exception: it is pinned by its SHA256, which the build and packing
 * check before using or carrying a byte of it, so only a file whose content the recipe
 * already knows can be used.
 */
import { readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { features } from '../features/registry'
import { BuildError } from '../util/errors'
import type { Recipe, SealedRecipe } from './schema'
import { sealRecipe } from './secrets'
import { describeProblems, type RecipeProblem } from './yaml'

export interface RecipeFile {
  /** The recipe field that names it, e.g. `files[0].source`. */
  field: string
  /** As the recipe writes it. */
  file: string
  /** Where it really is: absolute, every symlink resolved. */
  path: string
  size: number
  /** Why it may be used: 'recipe folder', `allowFilesOutside[<i>]`, or (a source image elsewhere) 'source image (pinned by SHA256)'. */
  allowedBy: string
}

export const SOURCE_ALLOWANCE = 'source image (pinned by SHA256)'

type AnyRecipe = Recipe | SealedRecipe

/** Every local file the recipe names, with the field that names it: the source and each feature's. */
export function referencedFiles(recipe: AnyRecipe): { field: string; file: string }[] {
  const source = recipe.source.path ? [{ field: 'source.path', file: recipe.source.path }] : []
  return [...source, ...features.flatMap((feature) => feature.files?.(recipe as SealedRecipe) ?? [])]
}

interface Root {
  label: string
  /** As written, resolved against the recipe's folder (a file that does not exist is judged by this). */
  dir: string
  /** With symlinks resolved; null when the folder does not exist. */
  real: string | null
}

const within = (dir: string, file: string) => {
  const relative = path.relative(dir, file)
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
}

async function realOrNull(file: string): Promise<string | null> {
  return realpath(file).catch(() => null)
}

async function rootsOf(recipe: AnyRecipe, baseDir: string): Promise<Root[]> {
  const dirs = [{ label: 'recipe folder', dir: path.resolve(baseDir) }]
  for (const [index, dir] of (recipe.allowFilesOutside ?? []).entries()) dirs.push({ label: `allowFilesOutside[${index}]`, dir: path.resolve(baseDir, dir) })
  return Promise.all(dirs.map(async (root) => ({ ...root, real: await realOrNull(root.dir) })))
}

type Outcome = { ok: RecipeFile } | { missing: RecipeProblem } | { refused: RecipeProblem }

async function judge(field: string, file: string, roots: Root[]): Promise<Outcome> {
  const full = path.resolve(roots[0]!.dir, file)
  const confined = field !== 'source.path'
  const real = await realpath(full).catch((error: NodeJS.ErrnoException) => error)
  if (real instanceof Error) {
    if (confined && !roots.some((root) => within(root.dir, full))) return { refused: { path: field, message: outsideMessage(full, null, roots) } }
    if (real.code === 'ENOENT' || real.code === 'ENOTDIR') return { missing: { path: field, message: `file not found: ${full}` } }
    return { refused: { path: field, message: `cannot be read: ${full} (${real.code ?? real.message})` } }
  }
  const root = roots.find((candidate) => candidate.real && within(candidate.real, real))
  if (confined && !root) return { refused: { path: field, message: outsideMessage(full, real, roots) } }
  const info = await stat(real)
  if (!info.isFile()) return { refused: { path: field, message: `${full} is not a regular file (a folder, device or pipe)` } }
  return { ok: { field, file, path: real, size: info.size, allowedBy: root?.label ?? SOURCE_ALLOWANCE } }
}

function outsideMessage(full: string, real: string | null, roots: Root[]): string {
  const what = real && real !== full ? `${full} is a link to ${real}, which is` : `${full} is`
  const absent = roots.filter((root) => !root.real && root.label !== 'recipe folder').map((root) => `${root.label} ${root.dir} does not exist`)
  const allowed = roots.length > 1 ? ' or a folder listed in allowFilesOutside' : ''
  return `${what} outside the recipe's folder${allowed}: move it next to the recipe, or list its folder in allowFilesOutside${absent.length ? ` (${absent.join('; ')})` : ''}`
}

/**
 * Every file the recipe names, checked: INVALID_RECIPE (with each field) when one is outside
 * the allowed folders or not a regular file, else NOT_FOUND when one is missing.
 */
export async function recipeFiles(recipe: AnyRecipe, baseDir: string): Promise<RecipeFile[]> {
  const roots = await rootsOf(recipe, baseDir)
  const outcomes = await Promise.all(referencedFiles(recipe).map(({ field, file }) => judge(field, file, roots)))
  const refused = outcomes.flatMap((outcome) => ('refused' in outcome ? [outcome.refused] : []))
  const missing = outcomes.flatMap((outcome) => ('missing' in outcome ? [outcome.missing] : []))
  if (refused.length) {
    const problems = [...refused, ...missing]
    throw new BuildError('INVALID_RECIPE', `The recipe names files it may not use:\n${describeProblems(problems)}`, { problems })
  }
  if (missing.length) {
    throw new BuildError('NOT_FOUND', `The recipe names files that do not exist:\n${describeProblems(missing)}`, { problems: missing })
  }
  const checkers = features.filter((feature) => feature.checkFiles && feature.files?.(recipe as SealedRecipe).length)
  if (checkers.length) {
    // Content checks see the recipe as a build does: sealed (sealing a sealed recipe changes nothing).
    const sealed = sealRecipe(recipe as Recipe)
    for (const feature of checkers) await feature.checkFiles!(sealed, (file, field) => readRecipeFile(recipe, baseDir, file, field))
  }
  return outcomes.map((outcome) => (outcome as { ok: RecipeFile }).ok)
}

/** One file's content, checked again as it is read (it may have changed since the recipe was loaded). */
export async function readRecipeFile(recipe: AnyRecipe, baseDir: string, file: string, field: string): Promise<Buffer> {
  return readFile(await recipeFilePath(recipe, baseDir, file, field))
}

/** One file's checked real path (for readers that take a path, like the Dockerfile's build). */
export async function recipeFilePath(recipe: AnyRecipe, baseDir: string, file: string, field: string): Promise<string> {
  const outcome = await judge(field, file, await rootsOf(recipe, baseDir))
  if ('missing' in outcome) throw new BuildError('NOT_FOUND', `${field}: ${outcome.missing.message}`, { problems: [outcome.missing] })
  if ('refused' in outcome) throw new BuildError('INVALID_RECIPE', `${field}: ${outcome.refused.message}`, { problems: [outcome.refused] })
  return outcome.ok.path
}
