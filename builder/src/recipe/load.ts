/** Reads a recipe from YAML, validates it, and resolves the files it names. */
import { createHash } from 'node:crypto'
import { access, readFile } from 'node:fs/promises'
import path from 'node:path'
import YAML from 'yaml'
import type { z } from 'zod'
import { BuildError } from '../util/errors'
import { canonicalJson } from '../util/hash'
import { features } from '../features/registry'
import { RecipeSchema, type Recipe, type SealedRecipe } from './schema'
import { withoutSecrets } from './secrets'

export interface LoadedRecipe {
  recipe: Recipe
  /** Relative paths in the recipe are relative to this folder. */
  baseDir: string
}

export interface RecipeProblem {
  path: string
  message: string
}

/** `users[0].sshKeys[1]` style, the way a person finds it in the YAML. */
function formatPath(segments: PropertyKey[]): string {
  return segments.reduce<string>((out, segment) => {
    if (typeof segment === 'number') return `${out}[${segment}]`
    return out ? `${out}.${String(segment)}` : String(segment)
  }, '')
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

export function describeProblems(problems: RecipeProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('\n')
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

/** Recipe YAML as plain data, not yet validated: numbers kept as text, syntax errors thrown as INVALID_RECIPE. */
export function readRecipeYaml(text: string, fileName = 'recipe'): unknown {
  const document = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (document.errors.length) {
    // Later syntax errors are mostly echoes of the first: report that one.
    const [first] = document.errors
    const more = document.errors.length > 1 ? ` (and ${document.errors.length - 1} more after it)` : ''
    const problems = [
      {
        path: `${fileName}:${first!.linePos?.[0]?.line ?? '?'}`,
        message: `${first!.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}${more}`,
      },
    ]
    throw new BuildError('INVALID_RECIPE', `The recipe is not valid YAML:\n${describeProblems(problems)}`, { problems })
  }
  // The recipe has no numeric fields: an unquoted 12345678 passphrase or 0644 mode is text,
  // and YAML's number reading would drop leading zeros.
  YAML.visit(document, {
    Scalar(_key, node) {
      if ((typeof node.value === 'number' || typeof node.value === 'bigint') && node.source) node.value = node.source
    },
  })
  return document.toJS()
}

export async function loadRecipe(file: string): Promise<LoadedRecipe> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new BuildError('NOT_FOUND', `Recipe not found: ${file}`)
    throw error
  })
  const recipe = parseRecipeYaml(text, path.basename(file))
  const baseDir = path.dirname(path.resolve(file))
  await checkReferencedFiles(recipe, baseDir)
  return { recipe, baseDir }
}

/** Every local file the recipe names, with the field that names it: the source and each feature's. */
export function referencedFiles(recipe: Recipe | SealedRecipe): { field: string; file: string }[] {
  const source = recipe.source.path ? [{ field: 'source.path', file: recipe.source.path }] : []
  return [...source, ...features.flatMap((feature) => feature.files?.(recipe as SealedRecipe) ?? [])]
}

export async function checkReferencedFiles(recipe: Recipe | SealedRecipe, baseDir: string): Promise<void> {
  const missing: { path: string; message: string }[] = []
  for (const { field, file } of referencedFiles(recipe)) {
    const full = path.resolve(baseDir, file)
    await access(full).catch(() => missing.push({ path: field, message: `file not found: ${full}` }))
  }
  if (missing.length) {
    throw new BuildError('NOT_FOUND', `The recipe names files that do not exist:\n${describeProblems(missing)}`, { problems: missing })
  }
}

/**
 * A fingerprint of the recipe for build info: the same for a recipe and its sealed form.
 * Secrets are left out, so the hash can be published without offering anything to guess
 * passwords against.
 */
export function recipeHash(recipe: Recipe | SealedRecipe): string {
  return createHash('sha256').update(canonicalJson(withoutSecrets(recipe))).digest('hex')
}
