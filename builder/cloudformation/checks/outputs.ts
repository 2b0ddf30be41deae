/** Outputs: known attributes, a Value, a defined condition, and the references in Value and Export. */
import { checkIntrinsics } from './intrinsics'
import { checkConditionName } from './references'
import { isObject, type TemplateCheck } from './template'

const OUTPUT_KEYS = new Set(['Description', 'Value', 'Export', 'Condition'])

export function checkOutputs(check: TemplateCheck, outputs: Record<string, unknown>): void {
  const { report } = check
  for (const [name, output] of Object.entries(outputs)) {
    const at = `Outputs.${name}`
    if (!isObject(output)) {
      report(at, 'an output is a mapping')
      continue
    }
    for (const key of Object.keys(output)) if (!OUTPUT_KEYS.has(key)) report(`${at}.${key}`, `unknown output attribute "${key}"`)
    if (output.Value === undefined) report(at, 'an output needs a Value')
    const holds = new Set<string>()
    if (output.Condition !== undefined) {
      checkConditionName(check, output.Condition, `${at}.Condition`)
      if (typeof output.Condition === 'string') holds.add(output.Condition)
    }
    checkIntrinsics(check, output.Value, `${at}.Value`, { holds })
    checkIntrinsics(check, output.Export, `${at}.Export`, { holds })
  }
}
