/**
 * The walk through a value's intrinsic functions, wherever they may appear: each reference goes to
 * its check, and Fn::If's true branch is walked knowing its condition holds.
 */
import { checkMapLookup } from './mappings'
import { checkConditionName, checkGetAtt, checkRefName, checkSubVariables } from './references'
import { intrinsicName, isObject, type Scope, type TemplateCheck } from './template'

export function checkIntrinsics(check: TemplateCheck, value: unknown, at: string, scope: Scope): void {
  const { report } = check
  const walk = (child: unknown, childAt: string, childScope: Scope) => checkIntrinsics(check, child, childAt, childScope)
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, `${at}[${index}]`, scope))
    return
  }
  if (!isObject(value)) return
  const fn = intrinsicName(value) ?? (scope.inConditions && Object.keys(value).length === 1 && 'Condition' in value ? 'Condition' : null)
  if (!fn) {
    for (const [key, child] of Object.entries(value)) walk(child, `${at}.${key}`, scope)
    return
  }
  const argument = value[fn]
  const fnAt = `${at}.${fn}`
  switch (fn) {
    case 'Ref':
      if (typeof argument !== 'string') report(fnAt, 'Ref needs a name')
      else checkRefName(check, argument, fnAt, scope)
      return
    case 'Condition':
      checkConditionName(check, argument, fnAt)
      return
    case 'Fn::GetAtt': {
      const parts = typeof argument === 'string' ? [argument.slice(0, argument.indexOf('.')), argument.slice(argument.indexOf('.') + 1)] : argument
      if (!Array.isArray(parts) || parts.length !== 2) report(fnAt, 'Fn::GetAtt takes [resource, attribute]')
      else {
        checkGetAtt(check, parts[0], parts[1], fnAt, scope)
        walk(parts[1], fnAt, scope)
      }
      return
    }
    case 'Fn::If': {
      if (!Array.isArray(argument) || argument.length !== 3) {
        report(fnAt, 'Fn::If takes [condition, value if true, value if false]')
        return
      }
      const [condition, whenTrue, whenFalse] = argument as [unknown, unknown, unknown]
      checkConditionName(check, condition, `${fnAt}[0]`)
      const holds = typeof condition === 'string' ? new Set([...scope.holds, condition]) : scope.holds
      walk(whenTrue, `${fnAt}[1]`, { ...scope, holds })
      walk(whenFalse, `${fnAt}[2]`, scope)
      return
    }
    case 'Fn::Sub': {
      const [text, variables] = Array.isArray(argument) ? (argument as [unknown, unknown]) : [argument, undefined]
      if (typeof text !== 'string') {
        report(fnAt, 'Fn::Sub needs a string')
        return
      }
      if (variables !== undefined && !isObject(variables)) report(fnAt, 'Fn::Sub variables are a mapping')
      const local = isObject(variables) ? variables : {}
      checkSubVariables(check, text, local, fnAt, scope)
      walk(local, fnAt, scope)
      return
    }
    case 'Fn::FindInMap': {
      if (!Array.isArray(argument) || argument.length !== 3) {
        report(fnAt, 'Fn::FindInMap takes [map, top-level key, second-level key]')
        return
      }
      walk(argument, fnAt, scope)
      checkMapLookup(check, argument as [unknown, unknown, unknown], fnAt)
      return
    }
    default:
      walk(argument, fnAt, scope)
  }
}
