/** Per-build write sessions (issue 14): the session policy and the STS call, through a stubbed StsSeam (AWS cannot run here). */
import { S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { buildScopedClient, buildSessionPolicy, sessionName, type StsSeam } from './build-session'

const ID = '20250101-120000-1a2b3c4d'

describe('buildSessionPolicy', () => {
  it('allows only this build\'s prefix, only the three actions the worker uses', () => {
    expect(JSON.parse(buildSessionPolicy('data', ID, 'aws-cn'))).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'ThisBuildOnly', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], Resource: `arn:aws-cn:s3:::data/builds/${ID}/*` }],
    })
  })

  it.each(['../x', 'a/b', '*', ''])('refuses build id %j (it would widen the prefix)', (id) => {
    expect(() => buildSessionPolicy('data', id)).toThrow(/Not a build id/)
  })

  it('names the session after the build, within STS\'s rules', () => {
    expect(sessionName(ID)).toBe(`orchard-${ID}`)
    expect(sessionName('x'.repeat(128))).toHaveLength(64)
  })
})

describe('buildScopedClient', () => {
  const fallback = new S3Client({ region: 'us-east-1' })

  it('without a writer role (s3rver, tests) keeps the given client', async () => {
    expect(await buildScopedClient({ env: {}, bucket: 'data', id: ID, fallback })).toBe(fallback)
  })

  it('assumes the writer role with the session policy before the build, and its S3 client uses those credentials', async () => {
    const calls: unknown[] = []
    const sts: StsSeam = {
      async assumeRole(input) {
        calls.push(input)
        return { Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 3600_000) } }
      },
    }
    const env = { ORCHARD_WRITER_ROLE_ARN: 'arn:aws:iam::123456789012:role/writer', CODEBUILD_BUILD_ARN: 'arn:aws:codebuild:eu-west-1:123456789012:build/p:1' }
    const client = await buildScopedClient({ env, bucket: 'data', id: ID, fallback, sts: async () => sts })
    expect(client).not.toBe(fallback)
    expect(calls).toEqual([{ RoleArn: env.ORCHARD_WRITER_ROLE_ARN, RoleSessionName: `orchard-${ID}`, Policy: buildSessionPolicy('data', ID), DurationSeconds: 3600 }])
    const credentials = await (client.config.credentials as () => Promise<{ accessKeyId: string }>)()
    expect(credentials.accessKeyId).toBe('ASIAEXAMPLE')
    expect(calls).toHaveLength(1) // still fresh: not asked again
  })

  it('fails before the build when STS returns no credentials', async () => {
    const sts: StsSeam = { assumeRole: async () => ({}) }
    await expect(buildScopedClient({ env: { ORCHARD_WRITER_ROLE_ARN: 'arn:aws:iam::1:role/w' }, bucket: 'data', id: ID, fallback, sts: async () => sts })).rejects.toMatchObject({ code: 'CLOUD_AUTH' })
  })
})
