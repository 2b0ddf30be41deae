/** The template's top level: only CloudFormation's sections, and at least one resource. */
import { isObject, type Report } from './template'

const TOP_LEVEL = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs'])

export function checkSections(template: Record<string, unknown>, report: Report): void {
  for (const key of Object.keys(template)) if (!TOP_LEVEL.has(key)) report(key, `unknown top-level section "${key}"`)
  if (!isObject(template.Resources) || Object.keys(template.Resources).length === 0) report('Resources', 'a template needs at least one resource')
}
