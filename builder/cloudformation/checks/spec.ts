/**
 * The CloudFormation resource specification (`@aws-cdk/cfnspec`) the checks read, with the
 * properties newer than the pinned package added by hand.
 */
import { specification } from '@aws-cdk/cfnspec'

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

