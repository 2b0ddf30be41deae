import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { BuildStatusSchema } from '../src/cloud/status'
import { isObject, loadSpec, parseTemplate, SPEC_ADDITIONS, validateTemplate, type Problem } from './validate'

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
    expect(Object.keys(parameters).sort()).toEqual(['Architecture', 'BuildMode', 'BuildRetentionDays', 'BuildTimeoutMinutes', 'ComputeType', 'EcrImagesToKeep', 'EnableEcr'])
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

    it('has three roles, with inline policies only and services as the only principals', () => {
      expect(ofType('AWS::IAM::Role').map(([name]) => name).sort()).toEqual(['BuildRole', 'PipelineRole', 'StartRole'])
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

  it('outputs the names the app needs', () => {
    expect(template.Outputs).toMatchObject({
      BucketName: { Value: { Ref: 'Bucket' } },
      PipelineName: { Value: { Ref: 'Pipeline' } },
      BuildProjectName: { Value: { Ref: 'BuildProject' } },
    })
  })
})
