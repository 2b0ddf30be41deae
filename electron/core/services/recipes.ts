/** Recipes as the app sees them: YAML text in and out, validated by the builder's schema. */
import { mkdir, readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../../../builder/src/util/temp'
import path from 'node:path'
import { BuildError } from '../../../builder/src/util/errors'
import YAML from 'yaml'
import { parseRecipeYaml, readRecipeYaml, type RecipeProblem } from '../../../builder/src/recipe/load'
import { recipeFiles } from '../../../builder/src/recipe/recipe-files'
import type { Output } from '@common/contract'
import { OrchardError } from '@common/errors'

type Validation = Output<'recipes.validate'>

export async function validateRecipe(yaml: string, baseDir?: string): Promise<Validation> {
  try {
    const recipe = parseRecipeYaml(yaml)
    const files = baseDir ? await recipeFiles(recipe, baseDir) : null
    return { valid: true, problems: [], name: recipe.name, files }
  } catch (error) {
    if (!(error instanceof BuildError)) throw error
    const problems = (error.detail as { problems?: RecipeProblem[] } | undefined)?.problems ?? [{ path: '(recipe)', message: error.message }]
    return { valid: false, problems, name: /^name:\s*(\S+)/m.exec(yaml)?.[1] ?? null, files: null }
  }
}

export async function loadRecipeFile(file: string): Promise<Output<'recipes.load'>> {
  const full = path.resolve(file)
  const yaml = await readFile(full, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new OrchardError(error.code === 'ENOENT' ? 'NOT_FOUND' : 'INTERNAL', `Cannot read the recipe ${full}: ${error.code ?? error.message}`)
  })
  return { path: full, yaml, validation: await validateRecipe(yaml, path.dirname(full)) }
}

export async function saveRecipeFile(file: string, yaml: string): Promise<Output<'recipes.save'>> {
  const full = path.resolve(file)
  const validation = await validateRecipe(yaml)
  if (!validation.valid) {
    throw new OrchardError('INVALID_RECIPE', `Not saved: the recipe is invalid (${validation.problems.length} problems)`, { problems: validation.problems })
  }
  // The folder may not exist yet (the Quick flash screen keeps its recipe in the output folder, made by the first build).
  await mkdir(path.dirname(full), { recursive: true })
    .then(() => writeFileAtomic(full, yaml))
    .catch((error: NodeJS.ErrnoException) => {
      throw new OrchardError('UNWRITABLE', `Cannot write ${full}: ${error.code ?? error.message}`)
    })
  return { path: full }
}

/** The form's data as YAML (the `yaml` package quotes strings that would read back as numbers), with its validation. */
export async function recipeToYaml(data: unknown, baseDir?: string): Promise<Output<'recipes.toYaml'>> {
  const yaml = YAML.stringify(data, { lineWidth: 0 })
  return { yaml, validation: await validateRecipe(yaml, baseDir) }
}

/** YAML as the form's data, read the way the builder reads it (unquoted numbers stay text). */
export async function recipeFromYaml(yaml: string, baseDir?: string): Promise<Output<'recipes.fromYaml'>> {
  const validation = await validateRecipe(yaml, baseDir)
  let data: unknown = null
  try {
    data = readRecipeYaml(yaml)
  } catch (error) {
    if (!(error instanceof BuildError)) throw error
  }
  const mapping = data !== null && typeof data === 'object' && !Array.isArray(data)
  return { data: mapping ? (data as Record<string, unknown>) : null, validation }
}
