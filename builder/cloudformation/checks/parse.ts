/** Loading a template: YAML or JSON, CloudFormation's short-form tags turned into their long form. */
import { parse, type ScalarTag, type CollectionTag, type YAMLMap, type YAMLSeq } from 'yaml'
import { isObject } from './template'

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
