/** What every check shares: the problem it reports, the template's sections, and how intrinsics look. */
import type { Spec } from './spec'

export interface Problem {
  /** Where, as a dotted path into the template: `Resources.Bucket.Properties.BucketName`. */
  path: string
  message: string
}

export type Report = (path: string, message: string) => void

export const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
])

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The one key of an intrinsic function object (`Ref`, `Fn::…`), or null. */
export function intrinsicName(value: unknown): string | null {
  if (!isObject(value)) return null
  const keys = Object.keys(value)
  if (keys.length !== 1) return null
  const key = keys[0]!
  return key === 'Ref' || key.startsWith('Fn::') ? key : null
}

export const isCustomType = (type: string) => type === 'AWS::CloudFormation::CustomResource' || /^Custom::[A-Za-z0-9_@-]{1,60}$/.test(type)

/** The template under check: its sections (empty when missing or not mappings), the spec, and where problems go. */
export interface TemplateCheck {
  spec: Spec
  report: Report
  parameters: Record<string, unknown>
  conditions: Record<string, unknown>
  mappings: Record<string, unknown>
  resources: Record<string, unknown>
}

/** Where a value sits, for the references in it. */
export interface Scope {
  /** Conditions known to hold here (the resource's or output's own, and enclosing Fn::If branches). */
  holds: Set<string>
  /** Inside the Conditions section: Ref may name only parameters. */
  inConditions?: boolean
}

/** The condition a resource exists under, if any. */
export function resourceCondition(check: TemplateCheck, name: string): string | undefined {
  const resource = check.resources[name]
  return isObject(resource) && typeof resource.Condition === 'string' ? resource.Condition : undefined
}
