/**
 * Property values against the spec: no unknown property, lists and mappings where the spec says so,
 * and each property type's own properties, recursively (list and map items, Fn::If branches included).
 * A computed value (any other intrinsic) is not checked here.
 */
import { checkPrimitive, describe } from './primitives'
import { checkRequired } from './required'
import type { PropertySpec, Spec, TypeSpec } from './spec'
import { intrinsicName, isObject, type Report } from './template'

/** A property type by name: the resource's own (`AWS::S3::Bucket.Rule`), else a shared one (`Tag`). */
function propertyType(spec: Spec, resourceType: string, name: string): [string, TypeSpec] | undefined {
  for (const key of [`${resourceType}.${name}`, name]) {
    const found = spec.PropertyTypes[key]
    if (found) return [key, found]
  }
  return undefined
}

/** `additional`: any property is allowed (custom resources); the required ones are still needed. */
export function checkRecord(value: Record<string, unknown>, typeSpec: TypeSpec, typeName: string, resourceType: string, at: string, report: Report, spec: Spec, additional = false): void {
  const known = typeSpec.Properties ?? {}
  for (const [name, child] of Object.entries(value)) {
    const propertySpec = known[name]
    if (!propertySpec) {
      if (!additional && !typeSpec.AdditionalProperties) report(`${at}.${name}`, `unknown property "${name}" of ${typeName}`)
      continue
    }
    checkValue(child, propertySpec, resourceType, `${at}.${name}`, report, spec)
  }
  checkRequired(value, typeSpec, typeName, at, report)
}

function isNoValue(value: unknown): boolean {
  return isObject(value) && value.Ref === 'AWS::NoValue'
}

function checkValue(value: unknown, propertySpec: PropertySpec, resourceType: string, at: string, report: Report, spec: Spec): void {
  const fn = intrinsicName(value)
  if (fn === 'Fn::If' && Array.isArray((value as Record<string, unknown>)[fn])) {
    const [, whenTrue, whenFalse] = (value as Record<string, unknown[]>)[fn]!
    for (const [branch, index] of [[whenTrue, 1], [whenFalse, 2]] as const) {
      if (!isNoValue(branch)) checkValue(branch, propertySpec, resourceType, `${at}.Fn::If[${index}]`, report, spec)
    }
    return
  }
  if (fn) return // the value is computed: its type is not checked here

  if (propertySpec.PrimitiveType) {
    checkPrimitive(value, propertySpec.PrimitiveType, at, report)
  } else if (propertySpec.Type === 'List') {
    if (!Array.isArray(value)) {
      report(at, `expected a list, got ${describe(value)}`)
      return
    }
    value.forEach((item, index) => {
      const itemAt = `${at}[${index}]`
      const itemFn = intrinsicName(item)
      if (itemFn === 'Fn::If') {
        checkValue(item, { ...propertySpec, Type: propertySpec.ItemType, PrimitiveType: propertySpec.PrimitiveItemType, ItemType: undefined, PrimitiveItemType: undefined }, resourceType, itemAt, report, spec)
      } else if (itemFn) {
        return
      } else if (propertySpec.PrimitiveItemType) {
        checkPrimitive(item, propertySpec.PrimitiveItemType, itemAt, report)
      } else if (propertySpec.ItemType) {
        checkComplex(item, propertySpec.ItemType, resourceType, itemAt, report, spec)
      }
    })
  } else if (propertySpec.Type === 'Map') {
    if (!isObject(value)) {
      report(at, `expected a mapping, got ${describe(value)}`)
      return
    }
    for (const [key, item] of Object.entries(value)) {
      if (intrinsicName(item)) continue
      if (propertySpec.PrimitiveItemType) checkPrimitive(item, propertySpec.PrimitiveItemType, `${at}.${key}`, report)
      else if (propertySpec.ItemType) checkComplex(item, propertySpec.ItemType, resourceType, `${at}.${key}`, report, spec)
    }
  } else if (propertySpec.Type) {
    checkComplex(value, propertySpec.Type, resourceType, at, report, spec)
  }
  // Union types (PrimitiveTypes/Types): accepted as they are.
}

function checkComplex(value: unknown, typeName: string, resourceType: string, at: string, report: Report, spec: Spec): void {
  const found = propertyType(spec, resourceType, typeName)
  if (!found) {
    report(at, `the specification has no property type "${typeName}" for ${resourceType}`)
    return
  }
  const [qualifiedName, typeSpec] = found
  if (!typeSpec.Properties) {
    // An alias for a list or map type.
    checkValue(value, typeSpec, resourceType, at, report, spec)
    return
  }
  if (!isObject(value)) {
    report(at, `expected a ${typeName} mapping, got ${describe(value)}`)
    return
  }
  checkRecord(value, typeSpec, qualifiedName, resourceType, at, report, spec)
}
