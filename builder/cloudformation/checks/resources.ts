/**
 * Each resource: its logical id, attributes, condition, policies, DependsOn targets and type; then its
 * properties against the spec and the references in them.
 */
import { checkIntrinsics } from './intrinsics'
import { checkRecord } from './properties'
import { checkConditional, checkConditionName } from './references'
import { intrinsicName, isCustomType, isObject, type TemplateCheck } from './template'

const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy'])
const DELETION_POLICIES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot'])

export function checkResources(check: TemplateCheck): void {
  const { resources, report, spec } = check
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
      checkConditionName(check, resource.Condition, `${at}.Condition`)
      if (typeof resource.Condition === 'string') holds.add(resource.Condition)
    }
    for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      if (resource[policy] !== undefined && !DELETION_POLICIES.has(String(resource[policy]))) report(`${at}.${policy}`, `unknown ${policy} ${JSON.stringify(resource[policy])}`)
    }
    const dependsOn = resource.DependsOn === undefined ? [] : Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn]
    for (const target of dependsOn) {
      if (typeof target !== 'string' || resources[target] === undefined) report(`${at}.DependsOn`, `DependsOn ${JSON.stringify(target)}, which is no resource`)
      else if (target === name) report(`${at}.DependsOn`, 'a resource cannot depend on itself')
      else checkConditional(check, target, `${at}.DependsOn`, { holds })
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
    checkIntrinsics(check, properties, `${at}.Properties`, { holds })
    if (resource.Metadata !== undefined) checkIntrinsics(check, resource.Metadata, `${at}.Metadata`, { holds })
  }
}
