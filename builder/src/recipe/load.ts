/** Reads a recipe from YAML, validates it, and checks the files it names (recipe-files.ts). */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { z } from 'zod'
import { BuildError } from '../util/errors'
import { RecipeSchema, type Recipe, type SealedRecipe } from './schema'
import { recipeFiles, referencedFiles } from './recipe-files'
import { recipeFingerprint } from './secrets'
import { describeProblems, formatPath, readRecipeYaml, type RecipeProblem } from './yaml'

export { describeProblems, readRecipeYaml, referencedFiles, type RecipeProblem }

export interface LoadedRecipe {
  recipe: Recipe
  /** Relative paths in the recipe are relative to this folder. */
  baseDir: string
  /** The recipe's file name (no folder), when it was read from a file: build info records it for `orchard rebuild`. */
  file?: string
}

export function recipeProblems(error: z.ZodError): RecipeProblem[] {
  return error.issues.flatMap((issue): RecipeProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: `unknown field "${key}"` }))
    }
    if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
      return [{ path: formatPath(issue.path), message: 'is required' }]
    }
    return [{ path: formatPath(issue.path) || '(recipe)', message: issue.message }]
  })
}

/** Validates recipe data (already parsed from YAML or built by the app). */
export function parseRecipe(data: unknown): Recipe {
  const result = RecipeSchema.safeParse(data)
  if (result.success) return result.data
  const problems = recipeProblems(result.error)
  throw new BuildError('INVALID_RECIPE', `The recipe is invalid:\n${describeProblems(problems)}`, { problems })
}

export function parseRecipeYaml(text: string, fileName = 'recipe'): Recipe {
  return parseRecipe(readRecipeYaml(text, fileName))
}

/** A recipe file's text; a missing file is NOT_FOUND naming it. */
export async function readRecipeText(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new BuildError('NOT_FOUND', `Recipe not found: ${file}`)
    throw error
  })
}

export async function loadRecipe(file: string): Promise<LoadedRecipe> {
  const text = await readRecipeText(file)
  const recipe = parseRecipeYaml(text, path.basename(file))
  const baseDir = path.dirname(path.resolve(file))
  await checkReferencedFiles(recipe, baseDir)
  return { recipe, baseDir, file: path.basename(file) }
}

/** Checks every file the recipe names (recipe-files.ts: confined to its folder, regular files, present). */
export async function checkReferencedFiles(recipe: Recipe | SealedRecipe, baseDir: string): Promise<void> {
  await recipeFiles(recipe, baseDir)
}

/**
 * A fingerprint of the recipe for build info: the same for a recipe and its sealed form.
 * Secrets are left out, so the hash can be published without offering anything to guess
 * passwords against.
 */
export function recipeHash(recipe: Recipe | SealedRecipe): string {
  return recipeFingerprint(recipe)
}
