/** orchard-pipeline.yaml's optional first build (SeedBuildZipUrl): its condition, resources, role and function settings. */
import { describe, expect, it } from 'vitest'
import { isObject } from './checks/template'
import { messages, resources, template, type Json } from './test-template'
import { validateTemplate } from './validate'

describe('orchard-pipeline.yaml', () => {
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
  })
})
