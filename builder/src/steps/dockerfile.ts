/**
 * The Dockerfile the docker executor builds: the source image as stage `orchard-source`,
 * the recipe's plan as one RUN (each step its own `sh -ec`, announced by a marker line),
 * then the user's own Dockerfile (which builds `FROM orchard-source`), then the plan's
 * finish. One RUN, not one per step: every RUN costs a container and a layer commit, and
 * the markers still name the step that runs or fails. Pure, so it is unit tested.
 */
import { quote } from '../customize/shell'
import { BuildError } from '../util/errors'
import { splitLines } from '../util/lines'
import { STEP_ENV, type StepPlan } from './plan'

/** Printed before each step of the plan's RUN: `::orchard-step::<index into GeneratedDockerfile.planSteps>`. */
export const STEP_MARKER = '::orchard-step::'

/** The stage name a user's Dockerfile builds on. */
export const SOURCE_STAGE = 'orchard-source'

export interface GeneratedDockerfile {
  text: string
  /** Instruction number (as the classic builder counts them, from 1) → our step name. */
  steps: Map<number, string>
  /** The steps the plan's RUN announces with STEP_MARKER, by index. */
  planSteps: string[]
}

/** Exec form: the script reaches `sh -ec` byte for byte (newlines, quotes, `$`, no Dockerfile escapes). */
const run = (script: string) => `RUN ${JSON.stringify(['/bin/sh', '-ec', script])}`

export function generateDockerfile(baseImage: string, plan: StepPlan, userDockerfile?: string): GeneratedDockerfile {
  const lines: string[] = []
  const steps = new Map<number, string>()
  const add = (line: string, step?: string) => {
    lines.push(line)
    if (step) steps.set(lines.length, step)
  }
  add(`FROM ${baseImage} AS ${SOURCE_STAGE}`)
  add(`ENV ${Object.entries(STEP_ENV).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ')}`)
  const planSteps = [plan.prepare, ...plan.steps]
  // Each step in its own shell, as in the chroot: a step's `cd` or variables stay its own.
  const script = planSteps.map((step, index) => `echo '${STEP_MARKER}${index}'\n/bin/sh -ec ${quote(step.script)}`).join('\n')
  add(run(script), plan.prepare.name)
  let count = lines.length
  const text = [...lines]
  if (userDockerfile !== undefined) {
    const instructions = dockerfileInstructions(userDockerfile)
    const first = instructions[0]
    if (!first || !new RegExp(`^FROM\\s+${SOURCE_STAGE}(\\s|$)`, 'i').test(first)) {
      throw new BuildError('INVALID_RECIPE', `The recipe's Dockerfile must build on the source image: its first instruction must be "FROM ${SOURCE_STAGE}"`)
    }
    text.push('', '# the recipe\'s Dockerfile', userDockerfile.trimEnd(), '')
    count += instructions.length
  }
  // A user's Dockerfile may have switched user; the undo needs root.
  for (const line of ['USER root', run(plan.finish.script)]) {
    text.push(line)
    count += 1
  }
  steps.set(count, plan.finish.name)
  return { text: `${text.join('\n')}\n`, steps, planSteps: planSteps.map((step) => step.name) }
}

/**
 * The instructions of a Dockerfile as the builder counts them: comments, blank lines and
 * parser directives skipped, `\` continuations joined.
 */
export function dockerfileInstructions(text: string): string[] {
  const instructions: string[] = []
  let current = ''
  for (const raw of splitLines(text)) {
    const line = raw.trim()
    if (!current && (line === '' || line.startsWith('#'))) continue
    if (current && line.startsWith('#')) continue // comments inside a continued instruction
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trimEnd()} `
      continue
    }
    instructions.push((current + line).trim())
    current = ''
  }
  if (current.trim()) instructions.push(current.trim())
  return instructions.filter(Boolean)
}
