/**
 * References and their targets: Ref (parameters, resources, pseudo parameters), Fn::GetAtt (an
 * attribute the spec knows), Fn::Sub variables, condition names, and resources that exist only under
 * a condition not known to hold where they are named.
 */
import { intrinsicName, isCustomType, isObject, PSEUDO_PARAMETERS, resourceCondition, type Scope, type TemplateCheck } from './template'

export function checkRefName(check: TemplateCheck, target: string, at: string, scope: Scope): void {
  if (PSEUDO_PARAMETERS.has(target) || check.parameters[target] !== undefined) return
  if (scope.inConditions) {
    check.report(at, `Ref to "${target}": conditions may refer only to parameters`)
    return
  }
  if (check.resources[target] === undefined) {
    check.report(at, `Ref to "${target}", which is no parameter, resource or pseudo parameter`)
    return
  }
  checkConditional(check, target, at, scope)
}

/** A resource named where its condition is not known to hold. */
export function checkConditional(check: TemplateCheck, target: string, at: string, scope: Scope): void {
  const condition = resourceCondition(check, target)
  if (condition && !scope.holds.has(condition)) {
    check.report(at, `"${target}" exists only when condition "${condition}" holds, which is not known here (wrap it in Fn::If [${condition}, …])`)
  }
}

export function checkGetAtt(check: TemplateCheck, resourceName: unknown, attribute: unknown, at: string, scope: Scope): void {
  if (typeof resourceName !== 'string') {
    check.report(at, 'Fn::GetAtt needs a resource name')
    return
  }
  const resource = check.resources[resourceName]
  if (!isObject(resource)) {
    check.report(at, `Fn::GetAtt on "${resourceName}", which is no resource`)
    return
  }
  checkConditional(check, resourceName, at, scope)
  if (typeof attribute !== 'string') {
    if (intrinsicName(attribute) === null) check.report(at, `Fn::GetAtt on "${resourceName}" needs an attribute name`)
    return
  }
  const type = typeof resource.Type === 'string' ? resource.Type : ''
  if (isCustomType(type)) return
  const typeSpec = check.spec.ResourceTypes[type]
  if (!typeSpec) return // reported with the resource
  if (!typeSpec.Attributes || !(attribute in typeSpec.Attributes)) {
    const known = Object.keys(typeSpec.Attributes ?? {})
    check.report(at, `${type} has no attribute "${attribute}" (it has: ${known.length ? known.join(', ') : 'none'})`)
  }
}

/** The `${…}` variables of an Fn::Sub text: its own variables, else a Ref or (with a dot) a GetAtt. */
export function checkSubVariables(check: TemplateCheck, text: string, local: Record<string, unknown>, at: string, scope: Scope): void {
  for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
    const name = match[1]!.trim()
    if (name.startsWith('!')) continue
    if (local[name] !== undefined) continue
    const dot = name.indexOf('.')
    if (dot > 0 && !PSEUDO_PARAMETERS.has(name) && check.parameters[name] === undefined) checkGetAtt(check, name.slice(0, dot), name.slice(dot + 1), at, scope)
    else checkRefName(check, name, at, scope)
  }
}

export function checkConditionName(check: TemplateCheck, name: unknown, at: string): void {
  if (typeof name !== 'string') check.report(at, 'a condition name must be a string')
  else if (check.conditions[name] === undefined) check.report(at, `condition "${name}" is not defined`)
}
