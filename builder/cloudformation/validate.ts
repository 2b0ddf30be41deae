/**
 * A small CloudFormation template checker, against the real resource specification
 * (`@aws-cdk/cfnspec`): resource types, properties (recursively through property types,
 * list and map items), required properties, simple primitive types, and every reference —
 * Ref, Fn::GetAtt (attribute in the spec), Fn::Sub variables, conditions, mappings,
 * DependsOn — including references to conditional resources from places where their
 * condition is not known to hold. No network, no AWS account: a unit test runs it.
 * Each concern is one check in checks/; this runs them over the template's sections in order.
 *
 * It is not cfn-lint: allowed values, ARNs and service-side rules are not checked.
 */
import { checkConditions } from './checks/conditions'
import { checkMappings } from './checks/mappings'
import { checkOutputs } from './checks/outputs'
import { checkParameters } from './checks/parameters'
import { checkResources } from './checks/resources'
import { checkSections } from './checks/sections'
import { loadSpec, type Spec } from './checks/spec'
import { isObject, type Problem, type TemplateCheck } from './checks/template'

/** Every problem found in `template`, best first by place in the file; none means valid as far as this checker sees. */
export function validateTemplate(template: Record<string, unknown>, spec: Spec = loadSpec()): Problem[] {
  const problems: Problem[] = []
  const report = (path: string, message: string) => problems.push({ path, message })
  const section = (value: unknown) => (isObject(value) ? value : {})
  const check: TemplateCheck = {
    spec,
    report,
    parameters: section(template.Parameters),
    conditions: section(template.Conditions),
    mappings: section(template.Mappings),
    resources: section(template.Resources),
  }
  checkSections(template, report)
  checkParameters(check)
  checkConditions(check)
  checkMappings(check)
  checkResources(check)
  checkOutputs(check, section(template.Outputs))
  return problems
}
