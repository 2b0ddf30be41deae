import type { Command } from 'commander'
import { BuildError } from '../util/errors'
import { loadRecipe, type RecipeProblem } from '../recipe/load'
import { recipeFiles, type RecipeFile } from '../recipe/recipe-files'
import { formatBytes } from '../util/bytes'
import { EXIT, exitCodeFor } from './output'

export function registerRecipeCommand(program: Command): void {
  const recipe = program.command('recipe').description('Work with recipe files')
  recipe
    .command('validate')
    .description('Check recipes: print every problem with its path in the recipe, or the local files a build will carry')
    .argument('<recipe...>', 'recipe YAML files')
    .option('--json', 'print one JSON line per recipe')
    .action(async (files: string[], options: { json?: boolean }) => {
      let worst: number = EXIT.ok
      for (const file of files) {
        try {
          const { recipe: valid, baseDir } = await loadRecipe(file)
          const carried = await recipeFiles(valid, baseDir)
          if (options.json) console.log(JSON.stringify({ file, valid: true, name: valid.name, files: carried }))
          else {
            console.log(`${file}: valid (${valid.name})`)
            for (const line of carriedLines(carried)) console.log(`  ${line}`)
          }
        } catch (error) {
          const problems = error instanceof BuildError ? ((error.detail as { problems?: RecipeProblem[] } | undefined)?.problems ?? null) : null
          if (options.json) {
            console.log(JSON.stringify({ file, valid: false, message: (error as Error).message, problems }))
          } else if (problems) {
            console.log(`${file}: ${problems.length} problem${problems.length > 1 ? 's' : ''}`)
            for (const problem of problems) console.log(`  ${problem.path}: ${problem.message}`)
          } else {
            console.log(`${file}: ${(error as Error).message}`)
          }
          worst = Math.max(worst, exitCodeFor(error))
        }
      }
      process.exitCode = worst
    })
}

/** What a build will carry from this machine: each file with its field, where it really is, and what allows one outside the recipe folder. */
export function carriedLines(files: RecipeFile[]): string[] {
  if (!files.length) return ['carries no local files']
  return files.map((file) => {
    const outside = file.allowedBy === 'recipe folder' ? '' : `, outside the recipe folder: ${file.allowedBy}`
    return `carries ${file.field}: ${file.path} (${formatBytes(file.size)})${outside}`
  })
}
