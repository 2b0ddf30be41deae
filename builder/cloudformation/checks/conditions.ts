/** The Conditions section: each a condition function, referring only to parameters and other conditions. */
import { checkIntrinsics } from './intrinsics'
import { isObject, type TemplateCheck } from './template'

const CONDITION_FUNCTIONS = new Set(['Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not', 'Condition'])

export function checkConditions(check: TemplateCheck): void {
  for (const [name, condition] of Object.entries(check.conditions)) {
    const at = `Conditions.${name}`
    const fn = isObject(condition) ? Object.keys(condition)[0] : undefined
    if (!fn || !CONDITION_FUNCTIONS.has(fn)) check.report(at, 'a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition')
    checkIntrinsics(check, condition, at, { holds: new Set(), inConditions: true })
  }
}
