/** The template loader: every short-form tag becomes its long-form intrinsic. */
import { describe, expect, it } from 'vitest'
import { parseTemplate } from './parse'

describe('the template loader', () => {
  it('turns every short-form intrinsic into its long form', () => {
    const loaded = parseTemplate(`
a: !Ref X
b: !GetAtt Res.Attr.Nested
c: !Sub ['\${A}', { A: !Ref Y }]
d: !If [Cond, !Join ['-', [!Select [0, !Split [',', 'a,b']], !GetAZs '']], !Ref AWS::NoValue]
e: !Not [!And [!Condition C1, !Or [!Equals [1, 1], !Condition C2]]]
f: !FindInMap [M, K1, K2]
g: !Base64 { 'Fn::Sub': x }
h: !ImportValue Shared
`)
    expect(loaded).toEqual({
      a: { Ref: 'X' },
      b: { 'Fn::GetAtt': ['Res', 'Attr.Nested'] },
      c: { 'Fn::Sub': ['${A}', { A: { Ref: 'Y' } }] },
      d: { 'Fn::If': ['Cond', { 'Fn::Join': ['-', [{ 'Fn::Select': [0, { 'Fn::Split': [',', 'a,b'] }] }, { 'Fn::GetAZs': '' }]] }, { Ref: 'AWS::NoValue' }] },
      e: { 'Fn::Not': [{ 'Fn::And': [{ Condition: 'C1' }, { 'Fn::Or': [{ 'Fn::Equals': [1, 1] }, { Condition: 'C2' }] }] }] },
      f: { 'Fn::FindInMap': ['M', 'K1', 'K2'] },
      g: { 'Fn::Base64': { 'Fn::Sub': 'x' } },
      h: { 'Fn::ImportValue': 'Shared' },
    })
  })
})
