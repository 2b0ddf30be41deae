/** orchard-pipeline.yaml loaded for the template tests, with the small helpers they share to look into it. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseTemplate } from './checks/parse'
import { isObject, type Problem } from './checks/template'

export type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const TEMPLATE_FILE = fileURLToPath(new URL('./orchard-pipeline.yaml', import.meta.url))
const templateText = readFileSync(TEMPLATE_FILE, 'utf8')

export const template = parseTemplate(templateText) as Json
export const resources = template.Resources as Json
/** A copy of the template of its own, to break. */
export const freshTemplate = (): Json => parseTemplate(templateText) as Json

/** Problems as `path: message` lines. */
export const messages = (problems: Problem[]) => problems.map((problem) => `${problem.path}: ${problem.message}`)

export const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type)
export const refName = (value: unknown) => (isObject(value) ? (value.Ref as string | undefined) : undefined)
