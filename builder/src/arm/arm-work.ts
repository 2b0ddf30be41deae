/** The recipe parts that run ARM code (packages, Docker, shell steps), in recipe order. */
import { quote } from '../customize/shell'
import type { Recipe } from '../recipe/schema'
import type { RunStep } from './chroot'

export async function applyArmWork(recipe: Recipe, runStep: RunStep, onLine: (step: string, line: string) => void): Promise<void> {
  const packages = [...recipe.packages, ...(recipe.docker ? ['docker.io'] : [])]
  const step = (name: string, script: string) => runStep(script, { name, onLine: (line) => onLine(name, line) })
  if (packages.length) {
    await step('apt-get update', 'apt-get update')
    await step(`install ${packages.join(' ')}`, `apt-get install -y --no-install-recommends ${packages.map(quote).join(' ')}`)
  }
  for (const { name, run } of recipe.steps) await step(name, run)
  // Package lists and downloaded .debs are caches: they only make the image bigger.
  if (packages.length) await step('clean apt caches', 'apt-get clean && rm -rf /var/lib/apt/lists/*')
}
