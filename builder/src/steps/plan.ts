/**
 * The recipe's ARM work as an ordered list of shell steps: one recipe semantics that both
 * executors run (the chroot step by step, the docker executor in one RUN with a marker per
 * step), between a prepare and a finish step that set up and undo what only the build needs.
 */
import { quote } from '../customize/shell'
import { features } from '../features/registry'
import type { SealedRecipe } from '../recipe/schema'

export interface BuildStep {
  /** Names the step in progress, logs and errors. */
  name: string
  /** A POSIX shell script, run with `sh -ec` as root inside the image. */
  script: string
}

export interface StepPlan {
  prepare: BuildStep
  steps: BuildStep[]
  /** Runs last, after a user's Dockerfile too. A failed build needs no finish: its root fs is thrown away. */
  finish: BuildStep
}

// Markers say what was ours, so the finish undoes exactly that and an image's own settings stay.
// policy-rc.d (Debian's convention): packages must not start services inside a build.
// man-db's auto-update: its trigger rebuilds the manual index after every install, slowly
// under emulation; the image's daily man-db job does it on the device.
const PREPARE = [
  "[ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && touch /.orchard-policy-rc.d; }",
  '[ ! -e /var/lib/man-db/auto-update ] || { rm /var/lib/man-db/auto-update && touch /.orchard-man-db; }',
].join('\n')
const FINISH = [
  'if [ -e /.orchard-policy-rc.d ]; then rm -f /usr/sbin/policy-rc.d /.orchard-policy-rc.d; fi',
  'if [ -e /.orchard-man-db ]; then touch /var/lib/man-db/auto-update && rm /.orchard-man-db; fi',
].join('\n')

// Translations only feed package descriptions, and gzip lists unpack far faster than xz
// under emulation (16.8 s → 6.7 s for bookworm main); no setting is left in the image.
const APT_UPDATE = 'apt-get update -o Acquire::Languages=none -o Acquire::CompressionTypes::Order::=gz'

// A full upgrade without questions: an interrupted earlier dpkg run is finished first, and a
// config file the image changed keeps the image's version (--force-confold; untouched ones
// take the package's, --force-confdef). The boot partition's files are at the boot mount
// (boot-tree.ts), so kernel and firmware packages update them there and the build writes
// them back to the FAT: the boot partition matches the packages installed.
const FULL_UPGRADE = [
  'dpkg --configure -a',
  'apt-get full-upgrade -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold',
].join('\n')

/**
 * Every feature's ARM work: a full upgrade when asked, one apt-get for all their packages,
 * then their steps in registry order. With `sourceDateEpoch`, every step sees it as
 * SOURCE_DATE_EPOCH, so the tools that honour it (shadow's password-change day, Python's
 * .pyc, man-db …) write the build time, not the clock's (docs/reproducible.md).
 */
export function stepPlan(recipe: SealedRecipe, sourceDateEpoch?: number): StepPlan {
  const plan = planSteps(recipe)
  if (sourceDateEpoch === undefined) return plan
  const pinned = (step: BuildStep): BuildStep => ({ ...step, script: `export SOURCE_DATE_EPOCH=${Math.floor(sourceDateEpoch)}\n${step.script}` })
  return { prepare: pinned(plan.prepare), steps: plan.steps.map(pinned), finish: pinned(plan.finish) }
}

function planSteps(recipe: SealedRecipe): StepPlan {
  const needs = features.flatMap((feature) => feature.arm?.(recipe) ?? [])
  const packages = needs.flatMap((need) => need.packages ?? [])
  const upgrade = needs.some((need) => need.upgrade)
  const plan: BuildStep[] = []
  if (packages.length || upgrade) plan.push({ name: 'apt-get update', script: APT_UPDATE })
  if (upgrade) plan.push({ name: 'apt-get full-upgrade', script: FULL_UPGRADE })
  if (packages.length) plan.push({ name: `install ${packages.join(' ')}`, script: `apt-get install -y --no-install-recommends ${packages.map(quote).join(' ')}` })
  plan.push(...needs.flatMap((need) => need.steps ?? []))
  // Package lists and downloaded .debs are caches: they only make the image bigger.
  if (packages.length || upgrade) plan.push({ name: 'clean apt caches', script: 'apt-get clean && rm -rf /var/lib/apt/lists/*' })
  return { prepare: { name: 'prepare the build', script: PREPARE }, steps: plan, finish: { name: 'finish the build', script: FINISH } }
}

/** What every step sees, whichever executor runs it. */
export const STEP_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  DEBIAN_FRONTEND: 'noninteractive',
}
