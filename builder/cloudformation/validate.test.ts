/** The validator, by fault injection: a small valid template broken one way at a time, then orchard-pipeline.yaml. */
import { describe, expect, it } from 'vitest'
import { parseTemplate } from './checks/parse'
import { loadSpec, SPEC_ADDITIONS } from './checks/spec'
import { freshTemplate, messages, template, type Json } from './test-template'
import { validateTemplate } from './validate'

/** A small valid template the fault tests break one way at a time. */
const BASE = `
Parameters:
  Name: { Type: String, Default: orchard }
  Arch: { Type: String, Default: x86_64, AllowedValues: [x86_64, arm64] }
Conditions:
  IsOrchard: !Equals [!Ref Name, orchard]
Mappings:
  Images:
    x86_64: { Image: aws/codebuild/standard:7.0 }
    arm64: { Image: aws/codebuild/amazonlinux2-aarch64-standard:3.0 }
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '\${Name}-\${AWS::AccountId}'
      VersioningConfiguration: { Status: Enabled }
      Tags: [{ Key: app, Value: !Ref Name }]
  Repo:
    Type: AWS::ECR::Repository
    Condition: IsOrchard
  Project:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !GetAtt Bucket.Arn
      Artifacts: { Type: NO_ARTIFACTS }
      Source: { Type: NO_SOURCE, BuildSpec: 'version: 0.2' }
      Environment:
        Type: LINUX_CONTAINER
        Image: !FindInMap [Images, !Ref Arch, Image]
        ComputeType: BUILD_GENERAL1_SMALL
        PrivilegedMode: true
        EnvironmentVariables:
          - { Name: BUCKET, Value: !Ref Bucket }
          - !If [IsOrchard, { Name: REPO, Value: !GetAtt Repo.RepositoryUri }, !Ref AWS::NoValue]
Outputs:
  BucketArn: { Value: !GetAtt Bucket.Arn }
  Repo: { Condition: IsOrchard, Value: !Ref Repo }
`
const base = (): Json => parseTemplate(BASE) as Json
const check = (broken: Json) => messages(validateTemplate(broken))

describe('the validator, against the real resource specification', () => {
  it('reads the CloudFormation specification from @aws-cdk/cfnspec', () => {
    const spec = loadSpec()
    expect(Object.keys(spec.ResourceTypes).length).toBeGreaterThan(1000)
    expect(spec.ResourceTypes['AWS::S3::Bucket']?.Attributes).toHaveProperty('Arn')
    expect(spec.PropertyTypes['AWS::S3::Bucket.Rule']?.Properties?.Status?.Required).toBe(true)
  })

  it('adds by hand only properties the pinned specification lacks', () => {
    // loadSpec throws when an addition has arrived in the spec; this shows where they went.
    for (const [type, properties] of Object.entries(SPEC_ADDITIONS)) {
      for (const name of Object.keys(properties)) expect(loadSpec().ResourceTypes[type]?.Properties).toHaveProperty(name)
    }
  })

  it('accepts the small valid template', () => {
    expect(check(base())).toEqual([])
  })

  it('rejects an unknown resource type', () => {
    const broken = base()
    broken.Resources.Bucket.Type = 'AWS::S3::Buckett'
    expect(check(broken)).toEqual(['Resources.Bucket.Type: unknown resource type "AWS::S3::Buckett"'])
  })

  it('rejects an unknown property, at the top and inside property types and list items', () => {
    const broken = base()
    broken.Resources.Bucket.Properties.BucketNmae = 'x'
    broken.Resources.Bucket.Properties.VersioningConfiguration.Enabled = true
    broken.Resources.Project.Properties.Environment.EnvironmentVariables[0].Kind = 'PLAINTEXT'
    broken.Resources.Bucket.Properties.Tags[0].Colour = 'red'
    expect(check(broken)).toEqual([
      'Resources.Bucket.Properties.VersioningConfiguration.Enabled: unknown property "Enabled" of AWS::S3::Bucket.VersioningConfiguration',
      'Resources.Bucket.Properties.Tags[0].Colour: unknown property "Colour" of Tag',
      'Resources.Bucket.Properties.BucketNmae: unknown property "BucketNmae" of AWS::S3::Bucket',
      'Resources.Project.Properties.Environment.EnvironmentVariables[0].Kind: unknown property "Kind" of AWS::CodeBuild::Project.EnvironmentVariable',
    ])
  })

  it('checks the items an Fn::If puts into a list', () => {
    const broken = base()
    broken.Resources.Project.Properties.Environment.EnvironmentVariables[1]['Fn::If'][1] = { Name: 'REPO' }
    expect(check(broken)).toEqual([
      'Resources.Project.Properties.Environment.EnvironmentVariables[1].Fn::If[1]: missing required property "Value" of AWS::CodeBuild::Project.EnvironmentVariable',
    ])
  })

  it('rejects a missing required property, of the resource and of a property type', () => {
    const broken = base()
    delete broken.Resources.Project.Properties.Source
    delete broken.Resources.Bucket.Properties.VersioningConfiguration.Status
    expect(check(broken)).toEqual([
      'Resources.Bucket.Properties.VersioningConfiguration: missing required property "Status" of AWS::S3::Bucket.VersioningConfiguration',
      'Resources.Project.Properties: missing required property "Source" of AWS::CodeBuild::Project',
    ])
  })

  it('checks simple primitive types and list/mapping shapes', () => {
    const broken = base()
    broken.Resources.Project.Properties.Environment.PrivilegedMode = 'maybe'
    broken.Resources.Project.Properties.TimeoutInMinutes = '2 hours'
    broken.Resources.Project.Properties.Environment.EnvironmentVariables = { Name: 'X', Value: 'y' }
    broken.Resources.Bucket.Properties.BucketName = ['a', 'b']
    expect(check(broken)).toEqual([
      'Resources.Bucket.Properties.BucketName: expected a String, got a list',
      'Resources.Project.Properties.Environment.PrivilegedMode: expected a Boolean, got string "maybe"',
      'Resources.Project.Properties.Environment.EnvironmentVariables: expected a list, got a mapping',
      'Resources.Project.Properties.TimeoutInMinutes: expected an Integer, got string "2 hours"',
    ])
  })

  it('accepts the string forms CloudFormation accepts for numbers and booleans', () => {
    const fine = base()
    fine.Resources.Project.Properties.Environment.PrivilegedMode = 'true'
    fine.Resources.Project.Properties.TimeoutInMinutes = '60'
    expect(check(fine)).toEqual([])
  })

  it('rejects a Ref to nothing, in properties, Fn::Sub and outputs', () => {
    const broken = base()
    broken.Resources.Bucket.Properties.Tags[0].Value = { Ref: 'Nothing' }
    broken.Resources.Bucket.Properties.BucketName = { 'Fn::Sub': '${Name}-${Missing}' }
    broken.Outputs.BucketArn.Value = { Ref: 'Nowhere' }
    expect(check(broken)).toEqual([
      'Resources.Bucket.Properties.BucketName.Fn::Sub: Ref to "Missing", which is no parameter, resource or pseudo parameter',
      'Resources.Bucket.Properties.Tags[0].Value.Ref: Ref to "Nothing", which is no parameter, resource or pseudo parameter',
      'Outputs.BucketArn.Value.Ref: Ref to "Nowhere", which is no parameter, resource or pseudo parameter',
    ])
  })

  it('rejects Fn::GetAtt on a missing resource or attribute', () => {
    const broken = base()
    broken.Resources.Project.Properties.ServiceRole = { 'Fn::GetAtt': ['Bucket', 'Nope'] }
    broken.Outputs.BucketArn.Value = { 'Fn::GetAtt': ['Buckett', 'Arn'] }
    broken.Resources.Bucket.Properties.BucketName = { 'Fn::Sub': '${Bucket.Website}' }
    expect(check(broken)).toEqual([
      'Resources.Bucket.Properties.BucketName.Fn::Sub: AWS::S3::Bucket has no attribute "Website" (it has: Arn, DomainName, DualStackDomainName, RegionalDomainName, WebsiteURL)',
      'Resources.Project.Properties.ServiceRole.Fn::GetAtt: AWS::S3::Bucket has no attribute "Nope" (it has: Arn, DomainName, DualStackDomainName, RegionalDomainName, WebsiteURL)',
      'Outputs.BucketArn.Value.Fn::GetAtt: Fn::GetAtt on "Buckett", which is no resource',
    ])
  })

  it('rejects undefined conditions and resources used where their condition is not known to hold', () => {
    const broken = base()
    broken.Resources.Repo.Condition = 'IsOrchid'
    broken.Resources.Project.Properties.Environment.EnvironmentVariables[1]['Fn::If'][0] = 'IsOrchid'
    broken.Outputs.Repo.Condition = 'IsOrchid'
    expect(check(broken)).toEqual([
      'Resources.Repo.Condition: condition "IsOrchid" is not defined',
      'Resources.Project.Properties.Environment.EnvironmentVariables[1].Fn::If[0]: condition "IsOrchid" is not defined',
      'Outputs.Repo.Condition: condition "IsOrchid" is not defined',
    ])

    const unguarded = base()
    unguarded.Resources.Project.Properties.Environment.EnvironmentVariables[1] = { Name: 'REPO', Value: { 'Fn::GetAtt': ['Repo', 'RepositoryUri'] } }
    delete unguarded.Outputs.Repo.Condition
    unguarded.Resources.Bucket.DependsOn = 'Repo'
    expect(check(unguarded)).toEqual([
      'Resources.Bucket.DependsOn: "Repo" exists only when condition "IsOrchard" holds, which is not known here (wrap it in Fn::If [IsOrchard, …])',
      'Resources.Project.Properties.Environment.EnvironmentVariables[1].Value.Fn::GetAtt: "Repo" exists only when condition "IsOrchard" holds, which is not known here (wrap it in Fn::If [IsOrchard, …])',
      'Outputs.Repo.Value.Ref: "Repo" exists only when condition "IsOrchard" holds, which is not known here (wrap it in Fn::If [IsOrchard, …])',
    ])
  })

  it('rejects conditions that refer to resources, mappings without a key a parameter allows, and bad parameters', () => {
    const broken = base()
    broken.Conditions.IsOrchard = { 'Fn::Equals': [{ Ref: 'Bucket' }, 'x'] }
    delete broken.Mappings.Images.arm64
    broken.Parameters.Arch.Default = 'riscv64'
    broken.Parameters.Name.Type = 'Strng'
    expect(check(broken)).toEqual([
      'Parameters.Name.Type: unknown parameter type "Strng"',
      'Parameters.Arch.Default: default "riscv64" is not among AllowedValues',
      'Conditions.IsOrchard.Fn::Equals[0].Ref: Ref to "Bucket": conditions may refer only to parameters',
      'Resources.Project.Properties.Environment.Image.Fn::FindInMap: mapping "Images" has no key "arm64"',
    ])
  })

  it('rejects unknown keys in resources, outputs and the top level', () => {
    const broken = base()
    broken.Resource = {}
    broken.Resources.Bucket.DeletionPolicy = 'Keep'
    broken.Resources.Bucket.Propertys = {}
    broken.Outputs.BucketArn.Exports = { Name: 'x' }
    expect(check(broken)).toEqual([
      'Resource: unknown top-level section "Resource"',
      'Resources.Bucket.Propertys: unknown resource attribute "Propertys"',
      'Resources.Bucket.DeletionPolicy: unknown DeletionPolicy "Keep"',
      'Outputs.BucketArn.Exports: unknown output attribute "Exports"',
    ])
  })

  it('accepts any property on a custom resource but still needs its ServiceToken', () => {
    const custom = base()
    custom.Resources.Seed = { Type: 'Custom::SourceToS3', Properties: { Anything: 1, Bucket: { Ref: 'Bucket' } } }
    expect(check(custom)).toEqual(['Resources.Seed.Properties: missing required property "ServiceToken" of Custom::SourceToS3'])
  })
})

describe('orchard-pipeline.yaml', () => {
  it('is valid against the CloudFormation specification', () => {
    expect(messages(validateTemplate(template))).toEqual([])
  })

  it('still catches faults put into it', () => {
    const broken = freshTemplate()
    delete broken.Conditions.CreateEcr
    broken.Resources.BuildProject.Properties.Environment.EnvironmentVariables.push({ Name: 'X', Value: { 'Fn::GetAtt': ['EcrRepository', 'Uri'] } })
    const found = messages(validateTemplate(broken))
    expect(found).toContain('Resources.EcrRepository.Condition: condition "CreateEcr" is not defined')
    expect(found.some((line) => line.includes('AWS::ECR::Repository has no attribute "Uri"'))).toBe(true)
    expect(found.some((line) => line.includes('"EcrRepository" exists only when condition "CreateEcr" holds'))).toBe(true)
  })
})
