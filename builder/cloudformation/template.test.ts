import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { BuildStatusSchema } from '../src/cloud/status'
import { parseTemplate } from './checks/parse'
import { loadSpec, SPEC_ADDITIONS } from './checks/spec'
import { isObject, type Problem } from './checks/template'
import { validateTemplate } from './validate'

const TEMPLATE_FILE = fileURLToPath(new URL('./orchard-pipeline.yaml', import.meta.url))
const BUILDSPEC_FILE = fileURLToPath(new URL('../buildspec.yml', import.meta.url))
const templateText = readFileSync(TEMPLATE_FILE, 'utf8')

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
const template = parseTemplate(templateText) as Json
const resources = template.Resources as Json
const fresh = (): Json => parseTemplate(templateText) as Json

const messages = (problems: Problem[]) => problems.map((problem) => `${problem.path}: ${problem.message}`)

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
    const broken = fresh()
    delete broken.Conditions.CreateEcr
    broken.Resources.BuildProject.Properties.Environment.EnvironmentVariables.push({ Name: 'X', Value: { 'Fn::GetAtt': ['EcrRepository', 'Uri'] } })
    const found = messages(validateTemplate(broken))
    expect(found).toContain('Resources.EcrRepository.Condition: condition "CreateEcr" is not defined')
    expect(found.some((line) => line.includes('AWS::ECR::Repository has no attribute "Uri"'))).toBe(true)
    expect(found.some((line) => line.includes('"EcrRepository" exists only when condition "CreateEcr" holds'))).toBe(true)
  })

  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type)
  const refName = (value: unknown) => (isObject(value) ? (value.Ref as string | undefined) : undefined)

  it('documents the stack-name rules, and they fit the bucket name limit', () => {
    expect(template.Description).toMatch(/STACK NAME: 1-32 characters, lowercase/)
    const rules = template.Metadata.Orchard.StackNameRules
    expect(rules.Pattern).toBe('^[a-z][a-z0-9-]{0,31}$')
    expect(resources.Bucket.Properties.BucketName).toEqual({ 'Fn::Sub': '${AWS::StackName}-${AWS::AccountId}-${AWS::Region}' })
    // stack (32) + "-" + account id (12) + "-" + the longest region code (14, e.g. ap-southeast-5)
    expect(32 + 1 + 12 + 1 + 'ap-southeast-5'.length).toBeLessThanOrEqual(63)
  })

  it('has every parameter with a default, and the documented choices', () => {
    const parameters = template.Parameters as Json
    for (const [name, parameter] of Object.entries(parameters)) expect(parameter, name).toHaveProperty('Default')
    expect(parameters.Architecture.AllowedValues).toEqual(['x86_64', 'arm64'])
    expect(parameters.ComputeType.AllowedValues).toContain(parameters.ComputeType.Default)
    expect(parameters.BuildTimeoutMinutes).toMatchObject({ Type: 'Number', MinValue: 5, MaxValue: 2160 })
    expect(parameters.EnableEcr.AllowedValues).toEqual(['true', 'false'])
    // The builder travels in build.zip: no parameter says where to fetch it.
    expect(Object.keys(parameters).sort()).toEqual(['Architecture', 'BuildMode', 'BuildRetentionDays', 'BuildTimeoutMinutes', 'ComputeType', 'EcrImagesToKeep', 'EnableEcr', 'SeedBuildZipUrl'])
    expect(template.Mappings.Architectures).toEqual({
      x86_64: { EnvironmentType: 'LINUX_CONTAINER', Image: 'aws/codebuild/standard:7.0' },
      arm64: { EnvironmentType: 'ARM_CONTAINER', Image: 'aws/codebuild/amazonlinux2-aarch64-standard:3.0' },
    })
  })

  describe('every bucket', () => {
    const buckets = ofType('AWS::S3::Bucket')
    it.each(buckets)('%s is encrypted, private and TLS-only', (name, bucket) => {
      const rules = bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration
      expect(rules.length).toBeGreaterThan(0)
      for (const rule of rules) expect(['AES256', 'aws:kms', 'aws:kms:dsse']).toContain(rule.ServerSideEncryptionByDefault.SSEAlgorithm)
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true })
      expect(bucket.Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }])
      const policies = ofType('AWS::S3::BucketPolicy').filter(([, policy]) => refName(policy.Properties.Bucket) === name)
      expect(policies).toHaveLength(1)
      const tlsOnly = policies[0]![1].Properties.PolicyDocument.Statement.find(
        (statement: Json) => statement.Effect === 'Deny' && statement.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      )
      expect(tlsOnly).toMatchObject({ Principal: '*', Action: 's3:*' })
      expect(tlsOnly.Resource).toEqual([{ 'Fn::GetAtt': [name, 'Arn'] }, { 'Fn::Sub': `\${${name}.Arn}/*` }])
    })
  })

  it('keeps the data bucket versioned, expires old builds, and tells EventBridge about uploads', () => {
    const bucket = resources.Bucket.Properties
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' })
    expect(bucket.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } })
    const builds = bucket.LifecycleConfiguration.Rules.find((rule: Json) => rule.Prefix === 'builds/')
    expect(builds).toMatchObject({ Status: 'Enabled', ExpirationInDays: { Ref: 'BuildRetentionDays' } })
    expect(builds.NoncurrentVersionExpiration.NoncurrentDays).toBeGreaterThan(0)
    const everything = bucket.LifecycleConfiguration.Rules.find((rule: Json) => rule.Prefix === undefined)
    expect(everything.NoncurrentVersionExpiration.NoncurrentDays).toBeGreaterThan(0)
    expect(everything.AbortIncompleteMultipartUpload.DaysAfterInitiation).toBeGreaterThan(0)
    expect(resources.Bucket.DeletionPolicy).toBe('Retain')
  })

  describe('IAM', () => {
    /** Every statement of every identity policy, Fn::If branches included. */
    const statements: [string, Json][] = []
    const unwrap = (value: unknown): Json[] => {
      if (!isObject(value)) return []
      if ('Fn::If' in value) return (value['Fn::If'] as unknown[]).slice(1).flatMap(unwrap)
      if (value.Ref === 'AWS::NoValue') return []
      return [value]
    }
    for (const [name, role] of ofType('AWS::IAM::Role')) {
      for (const policy of role.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement.flatMap(unwrap)) statements.push([`${name}/${policy.PolicyName}`, statement])
      }
    }
    const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value])
    const RESOURCE_STAR_ALLOWED = new Set(['ecr:GetAuthorizationToken'])

    it('has four roles (the seed\'s only with SeedBuildZipUrl), with inline policies only and services as the only principals', () => {
      expect(ofType('AWS::IAM::Role').map(([name]) => name).sort()).toEqual(['BuildRole', 'PipelineRole', 'SeedRole', 'StartRole'])
      expect(ofType('AWS::IAM::Policy')).toEqual([])
      expect(ofType('AWS::IAM::ManagedPolicy')).toEqual([])
      for (const [name, role] of ofType('AWS::IAM::Role')) {
        expect(role.Properties.ManagedPolicyArns, name).toBeUndefined()
        expect(role.Properties.RoleName, `${name}: unnamed roles need only CAPABILITY_IAM`).toBeUndefined()
        for (const statement of role.Properties.AssumeRolePolicyDocument.Statement) {
          expect(Object.keys(statement.Principal)).toEqual(['Service'])
          expect(statement.Action).toBe('sts:AssumeRole')
        }
      }
      expect(statements.length).toBeGreaterThan(10)
    })

    it('allows no wildcard action, and Resource "*" only for actions that need it', () => {
      for (const [where, statement] of statements) {
        expect(statement.Effect, where).toBe('Allow')
        expect(statement.NotAction, where).toBeUndefined()
        expect(statement.NotResource, where).toBeUndefined()
        for (const action of list(statement.Action)) {
          expect(action, where).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/) // no "*", "s3:*", "s3:Get*"
        }
        if (list(statement.Resource).includes('*')) {
          for (const action of list(statement.Action)) expect(RESOURCE_STAR_ALLOWED.has(action as string), `${where}: ${String(action)} on "*"`).toBe(true)
        }
      }
    })

    it('scopes logs to the stack\'s own log groups and writes only builds/ and build.zip', () => {
      for (const [where, statement] of statements) {
        const actions = list(statement.Action) as string[]
        if (actions.some((action) => action.startsWith('logs:'))) {
          const [resource] = list(statement.Resource) as Json[]
          expect(resource!['Fn::Sub'], where).toMatch(/^arn:\$\{AWS::Partition\}:logs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:log-group:\$\{(Build|Seed)LogGroup\}:log-stream:\*$/)
        }
        if (actions.includes('s3:PutObject')) {
          for (const resource of list(statement.Resource) as Json[]) {
            expect(['${Bucket.Arn}/builds/*', '${Bucket.Arn}/build.zip', '${ArtifactBucket.Arn}/*'], where).toContain(resource['Fn::Sub'])
          }
        }
      }
    })
  })

  describe('the build', () => {
    const project = resources.BuildProject.Properties

    it('runs privileged, from the architecture mapping, with the bucket in its environment', () => {
      expect(project.Environment.PrivilegedMode).toBe(true)
      expect(project.Environment.Type).toEqual({ 'Fn::FindInMap': ['Architectures', { Ref: 'Architecture' }, 'EnvironmentType'] })
      expect(project.Environment.Image).toEqual({ 'Fn::FindInMap': ['Architectures', { Ref: 'Architecture' }, 'Image'] })
      expect(project.Environment.ComputeType).toEqual({ Ref: 'ComputeType' })
      expect(project.TimeoutInMinutes).toEqual({ Ref: 'BuildTimeoutMinutes' })
      const variables = project.Environment.EnvironmentVariables.filter((variable: Json) => 'Name' in variable)
      expect(variables).toContainEqual({ Name: 'ORCHARD_BUCKET', Value: { Ref: 'Bucket' } })
      expect(project.LogsConfig.CloudWatchLogs.GroupName).toEqual({ Ref: 'BuildLogGroup' })
    })

    const buildspec = parse(readFileSync(BUILDSPEC_FILE, 'utf8')) as Json
    const commands: string[] = Object.values(buildspec.phases as Json).flatMap((phase: Json) => [...(phase.commands ?? []), ...(phase.finally ?? [])])

    it('reads its buildspec from build.zip (builder/buildspec.yml), which runs `orchard cloud worker`', () => {
      expect(project.Source).toEqual({ Type: 'CODEPIPELINE' })
      expect(buildspec.version).toBe(0.2)
      expect(buildspec.env).toEqual({ shell: 'bash' })
      expect(Object.keys(buildspec.phases)).toEqual(['install', 'build'])
      expect(buildspec.phases.build.commands).toEqual(['orchard cloud worker'])
      const install = (buildspec.phases.install.commands as string[]).join('\n')
      // Installs only what is missing, and the builder from the zip with its lock file.
      expect(install).toContain('command -v "$tool"')
      expect(install).toContain('e2fsprogs fuse2fs dosfstools mtools fdisk xz-utils qemu-user-static binfmt-support')
      expect(install).toContain('if ! command -v orchard >/dev/null; then')
      expect(install).toContain('tar -xzf "$CODEBUILD_SRC_DIR/orchard-builder.tgz"')
      expect(install).toContain('npm ci --omit=dev')
    })

    it('has commands bash can parse', (context) => {
      if (spawnSync('bash', ['--version']).error) context.skip('bash is not installed: the buildspec commands were not parsed')
      commands.forEach((command, index) => {
        const result = spawnSync('bash', ['-n', '-c', command], { encoding: 'utf8' })
        expect(result.status, `command ${index}: ${result.stderr}`).toBe(0)
      })
    })

    it('marks the build failed when the builder could not be installed (a status the app reads)', (context) => {
      if (spawnSync('bash', ['--version']).error) context.skip('bash is not installed')
      const dir = mkdtempSync(path.join(tmpdir(), 'orchard-buildspec-'))
      try {
        const [bin, src, s3] = ['bin', 'src', 's3'].map((name) => path.join(dir, name)) as [string, string, string]
        for (const folder of [bin, src, s3]) mkdirSync(folder)
        // A stand-in `aws s3 cp - s3://bucket/key …`: stdin into s3/<key>; no `orchard` on PATH.
        writeFileSync(path.join(bin, 'aws'), '#!/bin/sh\nfor a; do case "$a" in s3://*) dest="$a";; esac; done\nkey="${dest#s3://*/}"\nmkdir -p "$FAKE_S3/$(dirname "$key")" && cat > "$FAKE_S3/$key"\n', { mode: 0o755 })
        for (const tool of ['node', 'tr', 'date', 'cat', 'mkdir', 'dirname']) {
          const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim()
          if (found) symlinkSync(found, path.join(bin, tool))
        }
        const id = '20250101-120000-1a2b3c4d'
        writeFileSync(path.join(src, 'build.json'), JSON.stringify({ id }))
        const [finallyCommand] = buildspec.phases.install.finally as string[]
        const bash = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim()
        const result = spawnSync(bash, ['-c', finallyCommand!], {
          encoding: 'utf8',
          env: { PATH: bin, FAKE_S3: s3, CODEBUILD_SRC_DIR: src, CODEBUILD_BUILD_SUCCEEDING: '0', ORCHARD_BUCKET: 'b' },
        })
        expect(result.status, result.stderr).toBe(0)
        const status = BuildStatusSchema.parse(JSON.parse(readFileSync(path.join(s3, 'builds', id, 'status.json'), 'utf8')))
        expect(status).toMatchObject({ id, result: 'failed', error: expect.stringMatching(/^UNAVAILABLE: the build machine could not be prepared/) })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  describe('the pipeline', () => {
    const pipeline = resources.Pipeline.Properties
    const [source, build] = pipeline.Stages as Json[]

    it('takes build.zip from the bucket, started by EventBridge rather than polling', () => {
      const action = source!.Actions[0]
      expect(action.ActionTypeId).toEqual({ Category: 'Source', Owner: 'AWS', Provider: 'S3', Version: '1' })
      expect(action.Configuration).toEqual({ S3Bucket: { Ref: 'Bucket' }, S3ObjectKey: 'build.zip', PollForSourceChanges: 'false' })
      const rule = resources.StartOnUpload.Properties
      expect(rule.EventPattern).toEqual({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: 'Bucket' }] }, object: { key: ['build.zip'] } },
      })
      expect(rule.Targets[0].Arn['Fn::Sub']).toContain(':codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}')
    })

    it('builds with the project, passing the run\'s ids', () => {
      const action = build!.Actions[0]
      expect(action.ActionTypeId).toEqual({ Category: 'Build', Owner: 'AWS', Provider: 'CodeBuild', Version: '1' })
      expect(action.Configuration.ProjectName).toEqual({ Ref: 'BuildProject' })
      expect(JSON.parse(action.Configuration.EnvironmentVariables)).toEqual([
        { name: 'ORCHARD_PIPELINE_EXECUTION_ID', value: '#{codepipeline.PipelineExecutionId}', type: 'PLAINTEXT' },
      ])
      expect(pipeline).toMatchObject({ PipelineType: 'V2', ExecutionMode: 'QUEUED' })
    })
  })

  it('creates the ECR repository only when asked, scanned on push and pruned to the last N images', () => {
    const repository = resources.EcrRepository
    expect(repository.Condition).toBe('CreateEcr')
    expect(template.Conditions.CreateEcr).toEqual({ 'Fn::Equals': [{ Ref: 'EnableEcr' }, 'true'] })
    expect(repository.Properties.ImageScanningConfiguration).toEqual({ ScanOnPush: true })
    const policy = JSON.parse((repository.Properties.LifecyclePolicy.LifecyclePolicyText['Fn::Sub'] as string).replaceAll('${EcrImagesToKeep}', '10'))
    expect(policy.rules[0]).toMatchObject({ selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 }, action: { type: 'expire' } })
    expect(template.Outputs.EcrRepositoryUri).toEqual({
      Condition: 'CreateEcr',
      Description: expect.any(String),
      Value: { 'Fn::GetAtt': ['EcrRepository', 'RepositoryUri'] },
    })
  })

  describe('the optional first build (SeedBuildZipUrl)', () => {
    const SEED_RESOURCES = ['SeedBuildZip', 'SeedLogGroup', 'SeedRole', 'SourceToS3Function']
    const parameter = (template.Parameters as Json).SeedBuildZipUrl

    /** The template as CloudFormation sees it with SeedBuild true or false (only that condition resolved). */
    const resolve = (seed: boolean): Json => {
      const GONE = Symbol('AWS::NoValue')
      const walk = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(walk).filter((item) => item !== GONE)
        if (!isObject(value)) return value
        const fn = value['Fn::If']
        if (Array.isArray(fn) && fn[0] === 'SeedBuild') {
          const chosen = seed ? fn[1] : fn[2]
          return isObject(chosen) && chosen.Ref === 'AWS::NoValue' ? GONE : walk(chosen)
        }
        return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, walk(child)]).filter(([, child]) => child !== GONE))
      }
      const kept = Object.entries(resources)
        .filter(([, resource]) => seed || resource.Condition !== 'SeedBuild')
        .map(([name, { Condition: condition, ...resource }]) => [name, condition === 'SeedBuild' ? resource : { ...resource, ...(condition && { Condition: condition }) }])
      return { Resources: walk(Object.fromEntries(kept)), Outputs: walk(template.Outputs) } as Json
    }

    it('is off by default: an empty URL, or an https URL', () => {
      expect(parameter).toMatchObject({ Type: 'String', Default: '' })
      expect(template.Conditions.SeedBuild).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SeedBuildZipUrl' }, ''] }] })
      const allowed = new RegExp(`^(?:${parameter.AllowedPattern as string})$`)
      for (const ok of ['', 'https://example.com/seed.zip', 'https://bucket.s3.eu-west-1.amazonaws.com/seed.zip?X-Amz-Signature=ab12']) expect(allowed.test(ok), ok).toBe(true)
      for (const bad of ['http://example.com/seed.zip', 's3://bucket/seed.zip', 'https://exa mple.com/x', 'https://x/"y', 'ftp://x', ' https://x']) expect(allowed.test(bad), bad).toBe(false)
      expect(template.Metadata['AWS::CloudFormation::Interface'].ParameterGroups).toContainEqual({ Label: { default: 'First build (optional)' }, Parameters: ['SeedBuildZipUrl'] })
    })

    it('creates its resources only under the SeedBuild condition; without a URL nothing refers to them', () => {
      const seeded = Object.entries(resources).filter(([, resource]) => resource.Condition === 'SeedBuild').map(([name]) => name).sort()
      expect(seeded).toEqual(SEED_RESOURCES)
      const unseeded = resolve(false)
      expect(JSON.stringify(unseeded)).not.toMatch(/Seed|SourceToS3/)
      expect(unseeded.Resources.Pipeline.Properties.Tags).toEqual([])
      const withSeed = resolve(true)
      expect(Object.keys(withSeed.Resources)).toEqual(expect.arrayContaining(SEED_RESOURCES))
      // Still valid when a stack resolves either way.
      expect(messages(validateTemplate({ ...template, Resources: unseeded.Resources }))).toEqual([])
      expect(messages(validateTemplate({ ...template, Resources: withSeed.Resources }))).toEqual([])
    })

    it('puts the seed in place before the pipeline exists, so the run on its creation builds it (and only that run)', () => {
      expect(resolve(true).Resources.Pipeline.Properties.Tags).toEqual([{ Key: 'orchard:seed', Value: { Ref: 'SeedBuildZip' } }])
      // The rule that starts a run per upload comes after the pipeline, so the seed's own upload starts nothing.
      expect(resources.StartOnUpload.Properties.Targets[0].Arn['Fn::Sub']).toContain('${Pipeline}')
      expect(resources.SeedBuildZip).toEqual({
        Type: 'Custom::SourceToS3',
        Condition: 'SeedBuild',
        DependsOn: 'BucketPolicy',
        Properties: {
          ServiceToken: { 'Fn::GetAtt': ['SourceToS3Function', 'Arn'] },
          ServiceTimeout: 960,
          Bucket: { Ref: 'Bucket' },
          Key: 'build.zip',
          SourceUrl: { Ref: 'SeedBuildZipUrl' },
        },
      })
    })

    it('runs a small inline Python function with room for the zip and a bounded time', () => {
      const fn = resources.SourceToS3Function
      expect(fn).toMatchObject({ Condition: 'SeedBuild', DependsOn: 'SeedLogGroup' })
      expect(fn.Properties).toMatchObject({ Runtime: 'python3.12', Handler: 'index.handler', Role: { 'Fn::GetAtt': ['SeedRole', 'Arn'] }, FunctionName: { 'Fn::Sub': '${AWS::StackName}-seed' } })
      const code = fn.Properties.Code.ZipFile as string
      expect(code.length).toBeLessThanOrEqual(4096) // CloudFormation's limit for inline code
      const limit = (name: string) => Number(new RegExp(`^${name} = (.+)$`, 'm').exec(code)![1]!.replace('512 << 20', String(512 << 20)))
      expect(limit('MAX_BYTES')).toBe(512 << 20)
      // /tmp holds the zip; the download's time plus the upload and the answer fit in the function's, which fits in the resource's.
      expect(fn.Properties.EphemeralStorage.Size).toBeGreaterThan(512)
      expect(limit('DOWNLOAD_SECONDS') + 120).toBeLessThanOrEqual(fn.Properties.Timeout)
      expect(fn.Properties.Timeout).toBeLessThan(resources.SeedBuildZip.Properties.ServiceTimeout)
      expect(resources.SeedLogGroup.Properties).toEqual({ LogGroupName: { 'Fn::Sub': '/aws/lambda/${AWS::StackName}-seed' }, RetentionInDays: 14 })
    })

    it('lets the function write only build.zip and its own log group', () => {
      const role = resources.SeedRole
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }])
      expect(role.Properties.Policies).toHaveLength(1)
      expect(role.Properties.Policies[0].PolicyDocument.Statement).toEqual([
        {
          Sid: 'Logs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${SeedLogGroup}:log-stream:*' },
        },
        { Sid: 'WriteBuildZip', Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Sub': '${Bucket.Arn}/build.zip' } },
      ])
    })

    describe('its Python code (boto3, the download and the answer to CloudFormation stubbed)', () => {
      const code = resources.SourceToS3Function.Properties.Code.ZipFile as string
      // Runs the handler once in python3 with `scenario`: boto3 records put_object calls, the
      // opener serves (or fails) the download, urlopen records the answer to CloudFormation.
      const harness = `
import base64, hashlib, io, json, sys, types, urllib.request, zipfile
scenario = json.loads(sys.argv[1])
puts, answers, opened = [], [], []
class S3:
    def put_object(self, **kwargs):
        body = kwargs.pop('Body').read()
        kwargs['sha256'], kwargs['size'] = hashlib.sha256(body).hexdigest(), len(body)
        kwargs['names'] = sorted(zipfile.ZipFile(io.BytesIO(body)).namelist())
        puts.append(kwargs)
sys.modules['boto3'] = types.SimpleNamespace(client=lambda name: S3())
download = scenario.get('download', {})
if 'entries' in download:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for name, text in download['entries'].items(): archive.writestr(name, text)
    data = buffer.getvalue()
else:
    data = download.get('text', '').encode()
class Response(io.BytesIO):
    def __init__(self, data, headers): super().__init__(data); self.headers = headers
class Opener:
    def __init__(self, handlers): self.handlers = handlers
    def open(self, request, timeout=None):
        opened.append({'url': request.full_url, 'timeout': timeout})
        if 'error' in download: raise OSError(download['error'])
        return Response(data, download.get('headers', {}))
urllib.request.build_opener = lambda *handlers: Opener(handlers)
class Answer:
    def read(self): return b''
def urlopen(request, timeout=None):
    answers.append({'method': request.get_method(), 'url': request.full_url, 'body': json.loads(request.data)}); return Answer()
urllib.request.urlopen = urlopen
namespace = {}
exec(compile(sys.stdin.read(), 'index.py', 'exec'), namespace)
namespace.update(scenario.get('limits', {}))
left = scenario.get('millisLeft', 900000)
namespace['handler'](scenario['event'], types.SimpleNamespace(log_stream_name='stream', get_remaining_time_in_millis=lambda: left))
print('RESULT ' + json.dumps({'puts': puts, 'answers': answers, 'opened': opened, 'downloadSha256': hashlib.sha256(data).hexdigest(), 'downloadSize': len(data)}))
`
      const BUILD_ZIP = { 'recipe.yml': 'name: seed\n', 'build.json': '{"format": 1, "id": "20250101-120000-1a2b3c4d"}', 'buildspec.yml': 'version: 0.2\n', 'orchard-builder.tgz': 'tgz', 'files/motd': 'hi\n' }
      const URL = 'https://downloads.example.com/orchard/seed.zip?X-Amz-Signature=secret'
      const event = (type: string, extra: Json = {}) => ({
        RequestType: type,
        ResponseURL: 'https://cloudformation-custom-resource-response.invalid/r1',
        StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orchard/1',
        RequestId: 'r1',
        LogicalResourceId: 'SeedBuildZip',
        ResourceType: 'Custom::SourceToS3',
        ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:orchard-seed', ServiceTimeout: '960', Bucket: 'orchard-123456789012-eu-west-1', Key: 'build.zip', SourceUrl: URL },
        ...extra,
      })
      const runFunction = (context: { skip: (note: string) => void }, scenario: Json): Json => {
        const run = spawnSync('python3', ['-c', harness, JSON.stringify(scenario)], { input: code, encoding: 'utf8' })
        if (run.error) context.skip('python3 is not installed: the seed function was not run')
        expect(run.status, run.stderr).toBe(0)
        const line = run.stdout.split('\n').find((text) => text.startsWith('RESULT '))!
        const result = JSON.parse(line.slice('RESULT '.length)) as Json
        // Every run answers CloudFormation exactly once, with a PUT to the presigned URL.
        expect(result.answers).toHaveLength(1)
        expect(result.answers[0]).toMatchObject({ method: 'PUT', url: 'https://cloudformation-custom-resource-response.invalid/r1' })
        expect(result.answers[0].body).toMatchObject({ StackId: scenario.event.StackId, RequestId: 'r1', LogicalResourceId: 'SeedBuildZip', Data: {} })
        expect(JSON.stringify(result.answers[0].body)).not.toContain('X-Amz-Signature')
        return { ...result, answer: result.answers[0].body, stdout: run.stdout }
      }

      it('on Create, downloads the URL and puts those bytes to build.zip, then answers SUCCESS', (context) => {
        const result = runFunction(context, { event: event('Create'), download: { entries: BUILD_ZIP } })
        expect(result.opened).toEqual([{ url: URL, timeout: 30 }])
        expect(result.puts).toEqual([
          {
            Bucket: 'orchard-123456789012-eu-west-1',
            Key: 'build.zip',
            ContentType: 'application/zip',
            Metadata: { 'orchard-build-id': '20250101-120000-1a2b3c4d' },
            sha256: result.downloadSha256,
            size: result.downloadSize,
            names: Object.keys(BUILD_ZIP).sort(),
          },
        ])
        expect(result.answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 's3://orchard-123456789012-eu-west-1/build.zip' })
        expect(result.answer.Reason).toMatch(/^seeded s3:\/\/orchard-123456789012-eu-west-1\/build\.zip: \d+ bytes, build 20250101-120000-1a2b3c4d$/)
      })

      it.for(['Update', 'Delete'])('on %s, touches nothing and answers SUCCESS with the same physical id', (type, context) => {
        const physical = 's3://orchard-123456789012-eu-west-1/build.zip'
        const result = runFunction(context, { event: event(type, { PhysicalResourceId: physical }), download: { entries: BUILD_ZIP } })
        expect(result.opened).toEqual([])
        expect(result.puts).toEqual([])
        expect(result.answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physical, Reason: `${type}: build.zip left as it is` })
      })

      it('answers FAILED with the reason when the download fails (the URL shown without its query)', (context) => {
        const result = runFunction(context, { event: event('Create'), download: { error: 'HTTP Error 404: Not Found' } })
        expect(result.puts).toEqual([])
        expect(result.answer).toMatchObject({
          Status: 'FAILED',
          PhysicalResourceId: 's3://orchard-123456789012-eu-west-1/build.zip',
          Reason: 'Seeding build.zip failed: could not download https://downloads.example.com/orchard/seed.zip: HTTP Error 404: Not Found',
        })
      })

      it('answers FAILED for a download over the size limit, announced or streamed', (context) => {
        const announced = runFunction(context, { event: event('Create'), limits: { MAX_BYTES: 100 }, download: { text: 'x'.repeat(50), headers: { 'Content-Length': '2000' } } })
        expect(announced.puts).toEqual([])
        expect(announced.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('it is 2000 bytes, over the 100 allowed') })
        const streamed = runFunction(context, { event: event('Create'), limits: { MAX_BYTES: 100 }, download: { text: 'x'.repeat(2000) } })
        expect(streamed.puts).toEqual([])
        expect(streamed.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('it is over the 100 bytes allowed') })
      })

      it('answers FAILED when the download runs out of time, is not https, or is not a complete build.zip', (context) => {
        const late = runFunction(context, { event: event('Create'), millisLeft: 100_000, download: { entries: BUILD_ZIP } })
        expect(late.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('it took over 600 s') })
        const plain = runFunction(context, { event: event('Create', { ResourceProperties: { ...event('Create').ResourceProperties, SourceUrl: 'http://example.com/seed.zip' } }) })
        expect(plain.opened).toEqual([])
        expect(plain.answer).toMatchObject({ Status: 'FAILED', Reason: 'Seeding build.zip failed: SeedBuildZipUrl must be an https:// URL, not http://example.com/seed.zip' })
        const notZip = runFunction(context, { event: event('Create'), download: { text: '<html>login</html>' } })
        expect(notZip.answer).toMatchObject({ Status: 'FAILED', Reason: 'Seeding build.zip failed: the download is not a zip file' })
        const { 'orchard-builder.tgz': _builder, ...withoutBuilder } = BUILD_ZIP
        const partial = runFunction(context, { event: event('Create'), download: { entries: withoutBuilder } })
        expect(partial.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('not a complete build.zip (orchard cloud build --zip-only): no orchard-builder.tgz') })
        for (const result of [late, plain, notZip, partial]) expect(result.puts).toEqual([])
      })

      it('answers FAILED for a malformed request rather than not at all', (context) => {
        const result = runFunction(context, { event: { ...event('Create'), ResourceProperties: {} }, download: { entries: BUILD_ZIP } })
        expect(result.puts).toEqual([])
        expect(result.answer).toMatchObject({ Status: 'FAILED', Reason: "Seeding build.zip failed: 'SourceUrl'" })
      })

      it('follows redirects only to https', (context) => {
        const check = `
import sys, types, urllib.request
sys.modules['boto3'] = types.SimpleNamespace()
namespace = {}
exec(compile(sys.stdin.read(), 'index.py', 'exec'), namespace)
handler = namespace['HttpsOnly']()
request = urllib.request.Request('https://example.com/seed.zip')
print(handler.redirect_request(request, None, 302, 'Found', {}, 'https://cdn.example.com/seed.zip').full_url)
try:
    handler.redirect_request(request, None, 302, 'Found', {}, 'http://cdn.example.com/seed.zip?sig=secret')
except ValueError as error:
    print(error)
`
        const run = spawnSync('python3', ['-c', check], { input: code, encoding: 'utf8' })
        if (run.error) context.skip('python3 is not installed: the seed function was not run')
        expect(run.status, run.stderr).toBe(0)
        expect(run.stdout.trim().split('\n')).toEqual(['https://cdn.example.com/seed.zip', 'refused a redirect to http://cdn.example.com/seed.zip (https only)'])
      })
    })
  })

  it('outputs the names the app needs', () => {
    expect(template.Outputs).toMatchObject({
      BucketName: { Value: { Ref: 'Bucket' } },
      PipelineName: { Value: { Ref: 'Pipeline' } },
      BuildProjectName: { Value: { Ref: 'BuildProject' } },
    })
  })
})
