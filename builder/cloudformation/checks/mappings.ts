/** Mappings: each is two levels of keys, and every Fn::FindInMap names a map and keys it has. */
import { intrinsicName, isObject, type TemplateCheck } from './template'

export function checkMappings(check: TemplateCheck): void {
  for (const [name, map] of Object.entries(check.mappings)) {
    if (!isObject(map) || Object.values(map).some((entry) => !isObject(entry))) check.report(`Mappings.${name}`, 'a mapping is two levels of keys')
  }
}

/** An Fn::FindInMap's map and keys: a literal top-level key, or every allowed value of the parameter a Ref names. */
export function checkMapLookup(check: TemplateCheck, [mapName, topKey, secondKey]: [unknown, unknown, unknown], at: string): void {
  if (typeof mapName !== 'string') return
  const map = check.mappings[mapName]
  if (!isObject(map)) {
    check.report(at, `mapping "${mapName}" is not defined`)
    return
  }
  let topKeys: string[] = []
  if (typeof topKey === 'string') topKeys = [topKey]
  else if (intrinsicName(topKey) === 'Ref') {
    const parameter = check.parameters[String((topKey as { Ref: unknown }).Ref)]
    if (isObject(parameter) && Array.isArray(parameter.AllowedValues)) topKeys = parameter.AllowedValues.map(String)
  }
  for (const key of topKeys) {
    const entry = map[key]
    if (!isObject(entry)) check.report(at, `mapping "${mapName}" has no key "${key}"`)
    else if (typeof secondKey === 'string' && entry[secondKey] === undefined) check.report(at, `mapping "${mapName}.${key}" has no key "${secondKey}"`)
  }
}
