/** orchard-pipeline.yaml's security: encrypted, private, TLS-only buckets and least-privilege IAM. */
import { describe, expect, it } from 'vitest'
import { isObject } from './checks/template'
import { ofType, refName, resources, template, type Json } from './test-template'

describe('orchard-pipeline.yaml', () => {
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

  it('keeps every bucket versioned, CodePipeline\'s artifact store too, with old versions expiring (issue 14)', () => {
    for (const [name, bucket] of ofType('AWS::S3::Bucket')) {
      expect(bucket.Properties.VersioningConfiguration, name).toEqual({ Status: 'Enabled' })
      const expiring = bucket.Properties.LifecycleConfiguration.Rules.filter((rule: Json) => rule.NoncurrentVersionExpiration?.NoncurrentDays > 0)
      expect(expiring.length, name).toBeGreaterThan(0)
    }
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

    it('has five roles (the seed\'s only with SeedBuildZipUrl), with inline policies only; services as the only principals but for the writer role', () => {
      expect(ofType('AWS::IAM::Role').map(([name]) => name).sort()).toEqual(['BuildRole', 'PipelineRole', 'SeedRole', 'StartRole', 'WriterRole'])
      expect(ofType('AWS::IAM::Policy')).toEqual([])
      expect(ofType('AWS::IAM::ManagedPolicy')).toEqual([])
      for (const [name, role] of ofType('AWS::IAM::Role')) {
        expect(role.Properties.ManagedPolicyArns, name).toBeUndefined()
        expect(role.Properties.RoleName, `${name}: unnamed roles need only CAPABILITY_IAM`).toBeUndefined()
        for (const statement of role.Properties.AssumeRolePolicyDocument.Statement) {
          // The writer role is assumed by the build role alone (per-build sessions).
          expect(statement.Principal, name).toEqual(name === 'WriterRole' ? { AWS: { 'Fn::GetAtt': ['BuildRole', 'Arn'] } } : { Service: expect.any(String) })
          expect(statement.Action).toBe('sts:AssumeRole')
        }
      }
      expect(statements.length).toBeGreaterThan(10)
    })

    it('lets a service assume a role only for this account and, where the service says, this stack\'s resource (confused deputy, issue 14)', () => {
      const SOURCE_ARN: Record<string, string> = {
        BuildRole: 'arn:${AWS::Partition}:codebuild:${AWS::Region}:${AWS::AccountId}:project/${AWS::StackName}-build',
        PipelineRole: 'arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}',
        StartRole: 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${AWS::StackName}-start',
      }
      for (const [name, source] of Object.entries(SOURCE_ARN)) {
        const [statement] = resources[name].Properties.AssumeRolePolicyDocument.Statement
        expect(statement.Condition.StringEquals['aws:SourceAccount'], name).toEqual({ Ref: 'AWS::AccountId' })
        expect(statement.Condition.ArnLike['aws:SourceArn'], name).toEqual({ 'Fn::Sub': source })
      }
      // The names those ARNs rely on are the ones the template gives.
      expect(resources.BuildProject.Properties.Name).toEqual({ 'Fn::Sub': '${AWS::StackName}-build' })
      expect(resources.Pipeline.Properties.Name).toEqual({ Ref: 'AWS::StackName' })
      expect(resources.StartOnUpload.Properties.Name).toEqual({ 'Fn::Sub': '${AWS::StackName}-start' })
    })

    it('lets no build write another build\'s outputs: the build role has nothing under builds/, the writer role is for scoped sessions (issue 14)', () => {
      const touchesBuilds = (statement: Json) => (list(statement.Resource) as Json[]).some((resource) => String(resource?.['Fn::Sub'] ?? '').includes('/builds/'))
      expect(statements.filter(([where, statement]) => where.startsWith('BuildRole/') && touchesBuilds(statement))).toEqual([])
      const writer = statements.filter(([where]) => where.startsWith('WriterRole/'))
      expect(writer.map(([, statement]) => statement)).toEqual([{ Sid: 'BuildOutputs', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], Resource: { 'Fn::Sub': '${Bucket.Arn}/builds/*' } }])
      expect(resources.WriterRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringLike['sts:RoleSessionName']).toBe('orchard-*')
      expect(resources.WriterRole.Properties.MaxSessionDuration).toBe(3600)
      const variables = resources.BuildProject.Properties.Environment.EnvironmentVariables as Json[]
      expect(variables).toContainEqual({ Name: 'ORCHARD_WRITER_ROLE_ARN', Value: { 'Fn::GetAtt': ['WriterRole', 'Arn'] } })
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
        if (actions.includes('s3:PutObject') && !where.startsWith('WriterRole/')) {
          for (const resource of list(statement.Resource) as Json[]) {
            expect(['${Bucket.Arn}/builds/*', '${Bucket.Arn}/build.zip', '${ArtifactBucket.Arn}/*'], where).toContain(resource['Fn::Sub'])
          }
        }
      }
    })
  })

  describe('signing key (issue 14)', () => {
    const key = resources.SigningKey
    const policy = key.Properties.KeyPolicy.Statement as Json[]
    const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value])

    it('is an ECC_NIST_P256 SIGN_VERIFY key, kept when the stack goes, named in an output and given to the build', () => {
      expect(key.Type).toBe('AWS::KMS::Key')
      expect(key.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })
      expect(key.DeletionPolicy).toBe('Retain')
      expect(template.Outputs.SigningKeyArn.Value).toEqual({ 'Fn::GetAtt': ['SigningKey', 'Arn'] })
      expect(resources.BuildProject.Properties.Environment.EnvironmentVariables).toContainEqual({ Name: 'ORCHARD_SIGNING_KEY_ID', Value: { 'Fn::GetAtt': ['SigningKey', 'Arn'] } })
    })

    it('lets only the build role sign, only ECDSA_SHA_256 over a RAW message, and denies Sign to everyone else', () => {
      const allows = policy.filter((statement) => statement.Effect === 'Allow')
      const signers = allows.filter((statement) => list(statement.Action).some((action) => action === 'kms:Sign' || action === 'kms:*' || action === 'kms:Sign*'))
      expect(signers).toHaveLength(1)
      expect(signers[0]).toMatchObject({ Principal: { AWS: { 'Fn::GetAtt': ['BuildRole', 'Arn'] } }, Action: 'kms:Sign', Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'RAW' } } })
      for (const statement of allows) for (const action of list(statement.Action)) expect(String(action)).not.toMatch(/\*/)
      const deny = policy.find((statement) => statement.Effect === 'Deny')
      expect(deny).toMatchObject({ Principal: '*', Action: expect.arrayContaining(['kms:Sign', 'kms:CreateGrant']), Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': ['BuildRole', 'Arn'] } } } })
      // No role's own policies grant anything on KMS: the key policy is the one grant.
      for (const [name, role] of ofType('AWS::IAM::Role')) {
        for (const policyDocument of role.Properties.Policies ?? []) expect(JSON.stringify(policyDocument.PolicyDocument), name).not.toContain('kms:')
      }
    })

    it('lets the account\'s users read the public key and verify', () => {
      const users = policy.find((statement) => statement.Sid === 'UsersVerify')!
      expect(users.Principal).toEqual({ AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } })
      expect(users.Action).toEqual(expect.arrayContaining(['kms:GetPublicKey', 'kms:Verify']))
    })
  })
})
