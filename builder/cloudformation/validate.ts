/**
 * A small CloudFormation template checker, against the real resource specification
 * (`@aws-cdk/cfnspec`): resource types, properties (recursively through property types,
 * list and map items), required properties, simple primitive types, and every reference —
 * Ref, Fn::GetAtt (attribute in the spec), Fn::Sub variables, conditions, mappings,
 * DependsOn — including references to conditional resources from places where their
 * condition is not known to hold. No network, no AWS account: a unit test runs it.
 *
 * It is not cfn-lint: allowed values, ARNs and service-side rules are not checked.
 */
import { specification } from '@aws-cdk/cfnspec'
import { parse, type ScalarTag, type CollectionTag, type YAMLMap, type YAMLSeq } from 'yaml'

export interface Problem {
  /** Where, as a dotted path into the template: `Resources.Bucket.Properties.BucketName`. */
  path: string
  message: string
}

/** The parts of the specification this checker reads (the package's own types are unions). */
export interface PropertySpec {
  Required?: boolean
  PrimitiveType?: string
  Type?: string
  ItemType?: string
  PrimitiveItemType?: string
  PrimitiveTypes?: string[]
  Types?: string[]
  ItemTypes?: string[]
  PrimitiveItemTypes?: string[]
  InclusiveItemTypes?: string[]
  InclusivePrimitiveItemTypes?: string[]
}
export interface TypeSpec extends PropertySpec {
  Properties?: Record<string, PropertySpec>
  Attributes?: Record<string, unknown>
  AdditionalProperties?: boolean
}
export interface Spec {
  ResourceSpecificationVersion?: string
  ResourceTypes: Record<string, TypeSpec>
  PropertyTypes: Record<string, TypeSpec>
}

/**
 * Properties newer than the pinned specification (@aws-cdk/cfnspec 2.72.1 carries spec
 * 117.0.0, March 2023), added here by hand. Remove an entry once the spec has it.
 */
export const SPEC_ADDITIONS: Record<string, Record<string, PropertySpec>> = {
  // CodePipeline V2 (October 2023) and its execution modes (2024).
  'AWS::CodePipeline::Pipeline': {
    PipelineType: { PrimitiveType: 'String' },
    ExecutionMode: { PrimitiveType: 'String' },
  },
}

let cachedSpec: Spec | undefined

/** The CloudFormation resource specification, with SPEC_ADDITIONS applied (a copy: the package's object is untouched). */
export function loadSpec(): Spec {
  if (cachedSpec) return cachedSpec
  const base = specification() as unknown as Spec
  const resourceTypes = { ...base.ResourceTypes }
  for (const [type, properties] of Object.entries(SPEC_ADDITIONS)) {
    const existing = resourceTypes[type]
    if (!existing) throw new Error(`SPEC_ADDITIONS names ${type}, which the specification lacks`)
    for (const name of Object.keys(properties)) {
      if (existing.Properties?.[name]) throw new Error(`SPEC_ADDITIONS: ${type}.${name} is in the specification now; remove it from SPEC_ADDITIONS`)
    }
    resourceTypes[type] = { ...existing, Properties: { ...existing.Properties, ...properties } }
  }
  cachedSpec = { ...base, ResourceTypes: resourceTypes }
  return cachedSpec
}

// ---- Loading YAML with CloudFormation's short-form tags ----------------------------------

const SHORT_FORMS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  GetAtt: 'Fn::GetAtt',
  Sub: 'Fn::Sub',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  FindInMap: 'Fn::FindInMap',
  GetAZs: 'Fn::GetAZs',
  ImportValue: 'Fn::ImportValue',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  Transform: 'Fn::Transform',
}

/** yaml custom tags: `!Ref X` → `{Ref: X}`, `!GetAtt A.B` → `{'Fn::GetAtt': [A, B]}`, … on scalars, sequences and maps. */
export const cloudFormationTags: (ScalarTag | CollectionTag)[] = Object.entries(SHORT_FORMS).flatMap(([short, long]) => [
  {
    tag: `!${short}`,
    resolve: (value: string) => {
      if (long === 'Fn::GetAtt') {
        const dot = value.indexOf('.')
        return { [long]: dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] }
      }
      return { [long]: value }
    },
  } satisfies ScalarTag,
  { tag: `!${short}`, collection: 'seq', resolve: (seq: YAMLSeq.Parsed) => ({ [long]: seq.toJSON() }) } as CollectionTag,
  { tag: `!${short}`, collection: 'map', resolve: (map: YAMLMap.Parsed) => ({ [long]: map.toJSON() }) } as CollectionTag,
])

/** Parses a template (YAML or JSON) into plain data with intrinsics in their long form. */
export function parseTemplate(text: string): Record<string, unknown> {
  const data: unknown = parse(text, { customTags: cloudFormationTags, prettyErrors: true })
  if (!isObject(data)) throw new Error('a template is a mapping at the top level')
  return data
}

// ---- Checking ------------------------------------------------------------------------------

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

const TOP_LEVEL = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs'])
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy'])
const DELETION_POLICIES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot'])
const OUTPUT_KEYS = new Set(['Description', 'Value', 'Export', 'Condition'])
const PARAMETER_KEYS = new Set(['Type', 'Default', 'Description', 'AllowedValues', 'AllowedPattern', 'ConstraintDescription', 'MinLength', 'MaxLength', 'MinValue', 'MaxValue', 'NoEcho'])
const PARAMETER_TYPES = /^(String|Number|List<Number>|CommaDelimitedList|AWS::[A-Za-z0-9:]+::[A-Za-z0-9:.]+|List<AWS::[A-Za-z0-9:]+::[A-Za-z0-9:.]+>|AWS::SSM::Parameter::Value<.+>)$/
const CONDITION_FUNCTIONS = new Set(['Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not', 'Condition'])

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

const isCustomType = (type: string) => type === 'AWS::CloudFormation::CustomResource' || /^Custom::[A-Za-z0-9_@-]{1,60}$/.test(type)

interface Context {
  /** Conditions known to hold here (the resource's or output's own, and enclosing Fn::If branches). */
  holds: Set<string>
  /** Inside the Conditions section: Ref may name only parameters. */
  inConditions?: boolean
}

/** Every problem found in `template`, best first by place in the file; none means valid as far as this checker sees. */
export function validateTemplate(template: Record<string, unknown>, spec: Spec = loadSpec()): Problem[] {
  const problems: Problem[] = []
  const report = (path: string, message: string) => problems.push({ path, message })

  for (const key of Object.keys(template)) if (!TOP_LEVEL.has(key)) report(key, `unknown top-level section "${key}"`)

  const parameters = isObject(template.Parameters) ? template.Parameters : {}
  const conditions = isObject(template.Conditions) ? template.Conditions : {}
  const mappings = isObject(template.Mappings) ? template.Mappings : {}
  const resources = isObject(template.Resources) ? template.Resources : {}
  if (!isObject(template.Resources) || Object.keys(resources).length === 0) report('Resources', 'a template needs at least one resource')

  const resourceCondition = (name: string): string | undefined => {
    const resource = resources[name]
    return isObject(resource) && typeof resource.Condition === 'string' ? resource.Condition : undefined
  }

  // Parameters
  for (const [name, parameter] of Object.entries(parameters)) {
    const at = `Parameters.${name}`
    if (!isObject(parameter)) {
      report(at, 'a parameter is a mapping')
      continue
    }
    for (const key of Object.keys(parameter)) if (!PARAMETER_KEYS.has(key)) report(`${at}.${key}`, `unknown parameter attribute "${key}"`)
    if (typeof parameter.Type !== 'string' || !PARAMETER_TYPES.test(parameter.Type)) report(`${at}.Type`, `unknown parameter type ${JSON.stringify(parameter.Type)}`)
    if (resources[name] !== undefined) report(at, `"${name}" is both a parameter and a resource`)
    const fallback = parameter.Default
    if (fallback !== undefined) {
      if (Array.isArray(parameter.AllowedValues) && !parameter.AllowedValues.map(String).includes(String(fallback))) {
        report(`${at}.Default`, `default ${JSON.stringify(fallback)} is not among AllowedValues`)
      }
      if (typeof parameter.AllowedPattern === 'string' && !new RegExp(`^(?:${parameter.AllowedPattern})$`).test(String(fallback))) {
        report(`${at}.Default`, `default ${JSON.stringify(fallback)} does not match AllowedPattern`)
      }
      if (parameter.Type === 'Number') {
        const number = Number(fallback)
        if (Number.isNaN(number)) report(`${at}.Default`, `default ${JSON.stringify(fallback)} is not a number`)
        if (typeof parameter.MinValue === 'number' && number < parameter.MinValue) report(`${at}.Default`, `default ${number} is below MinValue`)
        if (typeof parameter.MaxValue === 'number' && number > parameter.MaxValue) report(`${at}.Default`, `default ${number} is above MaxValue`)
      }
    }
  }

  // References, wherever intrinsics may appear.
  const checkRefName = (target: string, at: string, context: Context) => {
    if (PSEUDO_PARAMETERS.has(target) || parameters[target] !== undefined) return
    if (context.inConditions) {
      report(at, `Ref to "${target}": conditions may refer only to parameters`)
      return
    }
    if (resources[target] === undefined) {
      report(at, `Ref to "${target}", which is no parameter, resource or pseudo parameter`)
      return
    }
    checkConditional(target, at, context)
  }

  const checkConditional = (target: string, at: string, context: Context) => {
    const condition = resourceCondition(target)
    if (condition && !context.holds.has(condition)) {
      report(at, `"${target}" exists only when condition "${condition}" holds, which is not known here (wrap it in Fn::If [${condition}, …])`)
    }
  }

  const checkGetAtt = (resourceName: unknown, attribute: unknown, at: string, context: Context) => {
    if (typeof resourceName !== 'string') {
      report(at, 'Fn::GetAtt needs a resource name')
      return
    }
    const resource = resources[resourceName]
    if (!isObject(resource)) {
      report(at, `Fn::GetAtt on "${resourceName}", which is no resource`)
      return
    }
    checkConditional(resourceName, at, context)
    if (typeof attribute !== 'string') {
      if (intrinsicName(attribute) === null) report(at, `Fn::GetAtt on "${resourceName}" needs an attribute name`)
      return
    }
    const type = typeof resource.Type === 'string' ? resource.Type : ''
    if (isCustomType(type)) return
    const typeSpec = spec.ResourceTypes[type]
    if (!typeSpec) return // reported with the resource
    if (!typeSpec.Attributes || !(attribute in typeSpec.Attributes)) {
      const known = Object.keys(typeSpec.Attributes ?? {})
      report(at, `${type} has no attribute "${attribute}" (it has: ${known.length ? known.join(', ') : 'none'})`)
    }
  }

  const checkCondition = (name: unknown, at: string) => {
    if (typeof name !== 'string') report(at, 'a condition name must be a string')
    else if (conditions[name] === undefined) report(at, `condition "${name}" is not defined`)
  }

  const walk = (value: unknown, at: string, context: Context): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${at}[${index}]`, context))
      return
    }
    if (!isObject(value)) return
    const fn = intrinsicName(value) ?? (context.inConditions && Object.keys(value).length === 1 && 'Condition' in value ? 'Condition' : null)
    if (!fn) {
      for (const [key, child] of Object.entries(value)) walk(child, `${at}.${key}`, context)
      return
    }
    const argument = value[fn]
    const fnAt = `${at}.${fn}`
    switch (fn) {
      case 'Ref':
        if (typeof argument !== 'string') report(fnAt, 'Ref needs a name')
        else checkRefName(argument, fnAt, context)
        return
      case 'Condition':
        checkCondition(argument, fnAt)
        return
      case 'Fn::GetAtt': {
        const parts = typeof argument === 'string' ? [argument.slice(0, argument.indexOf('.')), argument.slice(argument.indexOf('.') + 1)] : argument
        if (!Array.isArray(parts) || parts.length !== 2) report(fnAt, 'Fn::GetAtt takes [resource, attribute]')
        else {
          checkGetAtt(parts[0], parts[1], fnAt, context)
          walk(parts[1], fnAt, context)
        }
        return
      }
      case 'Fn::If': {
        if (!Array.isArray(argument) || argument.length !== 3) {
          report(fnAt, 'Fn::If takes [condition, value if true, value if false]')
          return
        }
        const [condition, whenTrue, whenFalse] = argument as [unknown, unknown, unknown]
        checkCondition(condition, `${fnAt}[0]`)
        const holds = typeof condition === 'string' ? new Set([...context.holds, condition]) : context.holds
        walk(whenTrue, `${fnAt}[1]`, { ...context, holds })
        walk(whenFalse, `${fnAt}[2]`, context)
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
        for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
          const name = match[1]!.trim()
          if (name.startsWith('!')) continue
          if (local[name] !== undefined) continue
          const dot = name.indexOf('.')
          if (dot > 0 && !PSEUDO_PARAMETERS.has(name) && parameters[name] === undefined) checkGetAtt(name.slice(0, dot), name.slice(dot + 1), fnAt, context)
          else checkRefName(name, fnAt, context)
        }
        walk(local, fnAt, context)
        return
      }
      case 'Fn::FindInMap': {
        if (!Array.isArray(argument) || argument.length !== 3) {
          report(fnAt, 'Fn::FindInMap takes [map, top-level key, second-level key]')
          return
        }
        const [mapName, topKey, secondKey] = argument as [unknown, unknown, unknown]
        walk(argument, fnAt, context)
        if (typeof mapName !== 'string') return
        const map = mappings[mapName]
        if (!isObject(map)) {
          report(fnAt, `mapping "${mapName}" is not defined`)
          return
        }
        // A literal key, or every allowed value of the parameter a Ref names.
        let topKeys: string[] = []
        if (typeof topKey === 'string') topKeys = [topKey]
        else if (intrinsicName(topKey) === 'Ref') {
          const parameter = parameters[String((topKey as { Ref: unknown }).Ref)]
          if (isObject(parameter) && Array.isArray(parameter.AllowedValues)) topKeys = parameter.AllowedValues.map(String)
        }
        for (const key of topKeys) {
          const entry = map[key]
          if (!isObject(entry)) report(fnAt, `mapping "${mapName}" has no key "${key}"`)
          else if (typeof secondKey === 'string' && entry[secondKey] === undefined) report(fnAt, `mapping "${mapName}.${key}" has no key "${secondKey}"`)
        }
        return
      }
      default:
        walk(argument, fnAt, context)
    }
  }

  // Conditions
  for (const [name, condition] of Object.entries(conditions)) {
    const at = `Conditions.${name}`
    const fn = isObject(condition) ? Object.keys(condition)[0] : undefined
    if (!fn || !CONDITION_FUNCTIONS.has(fn)) report(at, 'a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition')
    walk(condition, at, { holds: new Set(), inConditions: true })
  }

  // Mappings
  for (const [name, map] of Object.entries(mappings)) {
    if (!isObject(map) || Object.values(map).some((entry) => !isObject(entry))) report(`Mappings.${name}`, 'a mapping is two levels of keys')
  }

  // Resources
  for (const [name, resource] of Object.entries(resources)) {
    const at = `Resources.${name}`
    if (!/^[A-Za-z0-9]+$/.test(name)) report(at, 'logical ids are alphanumeric')
    if (!isObject(resource)) {
      report(at, 'a resource is a mapping')
      continue
    }
    for (const key of Object.keys(resource)) if (!RESOURCE_KEYS.has(key)) report(`${at}.${key}`, `unknown resource attribute "${key}"`)
    const holds = new Set<string>()
    if (resource.Condition !== undefined) {
      checkCondition(resource.Condition, `${at}.Condition`)
      if (typeof resource.Condition === 'string') holds.add(resource.Condition)
    }
    for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      if (resource[policy] !== undefined && !DELETION_POLICIES.has(String(resource[policy]))) report(`${at}.${policy}`, `unknown ${policy} ${JSON.stringify(resource[policy])}`)
    }
    const dependsOn = resource.DependsOn === undefined ? [] : Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn]
    for (const target of dependsOn) {
      if (typeof target !== 'string' || resources[target] === undefined) report(`${at}.DependsOn`, `DependsOn ${JSON.stringify(target)}, which is no resource`)
      else if (target === name) report(`${at}.DependsOn`, 'a resource cannot depend on itself')
      else checkConditional(target, `${at}.DependsOn`, { holds })
    }

    const type = resource.Type
    if (typeof type !== 'string') {
      report(`${at}.Type`, 'a resource needs a Type')
      continue
    }
    const custom = isCustomType(type)
    const typeSpec = custom ? spec.ResourceTypes['AWS::CloudFormation::CustomResource'] : spec.ResourceTypes[type]
    if (!typeSpec) {
      report(`${at}.Type`, `unknown resource type "${type}"`)
      continue
    }
    if (resource.Properties !== undefined && !isObject(resource.Properties) && intrinsicName(resource.Properties) === null) {
      report(`${at}.Properties`, 'Properties is a mapping')
      continue
    }
    const properties = isObject(resource.Properties) ? resource.Properties : {}
    checkRecord(properties, typeSpec, type, type, `${at}.Properties`, report, spec, custom)
    walk(properties, `${at}.Properties`, { holds })
    if (resource.Metadata !== undefined) walk(resource.Metadata, `${at}.Metadata`, { holds })
  }

  // Outputs
  const outputs = isObject(template.Outputs) ? template.Outputs : {}
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
      checkCondition(output.Condition, `${at}.Condition`)
      if (typeof output.Condition === 'string') holds.add(output.Condition)
    }
    walk(output.Value, `${at}.Value`, { holds })
    walk(output.Export, `${at}.Export`, { holds })
  }

  return problems
}

type Report = (path: string, message: string) => void

/** A property type by name: the resource's own (`AWS::S3::Bucket.Rule`), else a shared one (`Tag`). */
function propertyType(spec: Spec, resourceType: string, name: string): [string, TypeSpec] | undefined {
  for (const key of [`${resourceType}.${name}`, name]) {
    const found = spec.PropertyTypes[key]
    if (found) return [key, found]
  }
  return undefined
}

function checkRecord(value: Record<string, unknown>, typeSpec: TypeSpec, typeName: string, resourceType: string, at: string, report: Report, spec: Spec, additional = false): void {
  const known = typeSpec.Properties ?? {}
  for (const [name, child] of Object.entries(value)) {
    const propertySpec = known[name]
    if (!propertySpec) {
      if (!additional && !typeSpec.AdditionalProperties) report(`${at}.${name}`, `unknown property "${name}" of ${typeName}`)
      continue
    }
    checkValue(child, propertySpec, resourceType, `${at}.${name}`, report, spec)
  }
  for (const [name, propertySpec] of Object.entries(known)) {
    if (propertySpec.Required && value[name] === undefined) report(at, `missing required property "${name}" of ${typeName}`)
  }
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

function checkPrimitive(value: unknown, type: string, at: string, report: Report): void {
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  const bad = (what: string) => report(at, `expected ${what}, got ${describe(value)}`)
  switch (type) {
    case 'String':
    case 'Timestamp':
      if (!scalar) bad(`a ${type}`)
      return
    case 'Integer':
    case 'Long':
      if (!(typeof value === 'number' ? Number.isInteger(value) : typeof value === 'string' && /^-?\d+$/.test(value))) bad(`an ${type}`)
      return
    case 'Double':
      if (!(typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))))) bad('a Double')
      return
    case 'Boolean':
      if (!(typeof value === 'boolean' || value === 'true' || value === 'false')) bad('a Boolean')
      return
    case 'Json':
      if (value === null || value === undefined) bad('Json')
      return
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'a mapping'
  return `${typeof value} ${JSON.stringify(value)}`
}
