/**
 * The recipe's ARM work as an ordered list of shell steps: one recipe semantics that both
 * executors run (the chroot step by step, the docker executor as one RUN per step).
 */
import { quote } from '../customize/shell'
import type { Recipe } from '../recipe/schema'

export interface ArmStep {
  /** Names the step in progress, logs and errors. */
  name: string
  /** A POSIX shell script, run with `sh -ec` as root inside the image. */
  script: string
}

export function armPlan(recipe: Recipe): ArmStep[] {
  const packages = [...recipe.packages, ...(recipe.docker ? ['docker.io'] : [])]
  const plan: ArmStep[] = []
  if (packages.length) {
    plan.push({ name: 'apt-get update', script: 'apt-get update' })
    plan.push({ name: `install ${packages.join(' ')}`, script: `apt-get install -y --no-install-recommends ${packages.map(quote).join(' ')}` })
  }
  for (const { name, run } of recipe.steps) plan.push({ name, script: run })
  // Package lists and downloaded .debs are caches: they only make the image bigger.
  if (packages.length) plan.push({ name: 'clean apt caches', script: 'apt-get clean && rm -rf /var/lib/apt/lists/*' })
  return plan
}

/** What every step sees, whichever executor runs it. */
export const STEP_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  DEBIAN_FRONTEND: 'noninteractive',
}
