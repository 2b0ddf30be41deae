/** orchard-pipeline.yaml's security: encrypted, private, TLS-only buckets and least-privilege IAM. */
import { describe, expect, it } from 'vitest'
import { isObject } from './checks/template'
import { ofType, refName, resources, type Json } from './test-template'

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
})
