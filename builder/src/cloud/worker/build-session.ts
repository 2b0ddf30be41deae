/**
 * Per-build write isolation. In the stack, the build role itself may not touch builds/;
 * the worker assumes the stack's writer role (ORCHARD_WRITER_ROLE_ARN) with a session
 * policy that allows only builds/<this id>/*, and does every read and write of its own
 * outputs with those credentials. AWS grants a session the intersection of the role's
 * policy and the session policy, so even a confused worker (a wrong id, a bug) cannot
 * replace another build's outputs. Role chaining caps a session at one hour: the SDK asks
 * for a new one before it expires. Without ORCHARD_WRITER_ROLE_ARN (s3rver, tests) the
 * given client is used as it is.
 *
 * `StsSeam` is the one STS call this needs, so tests stub it (AWS cannot run here).
 */
import type { AssumeRoleCommandInput, AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts'
import type { S3Client } from '@aws-sdk/client-s3'
import { BuildError } from '../../util/errors'
import { buildPrefix, checkBuildId } from '../build-keys'
import { createS3Client } from '../s3'

export interface StsSeam {
  assumeRole(input: AssumeRoleCommandInput): Promise<Pick<AssumeRoleCommandOutput, 'Credentials'>>
}

export async function stsSeam(client: STSClient): Promise<StsSeam> {
  const { AssumeRoleCommand } = await import('@aws-sdk/client-sts')
  return { assumeRole: (input) => client.send(new AssumeRoleCommand(input)) }
}

/** Pure: the partition from CodeBuild's build ARN (aws, aws-cn, aws-us-gov), default aws. */
export const partitionOf = (env: NodeJS.ProcessEnv) => /^arn:([a-z-]+):/.exec(env.CODEBUILD_BUILD_ARN ?? '')?.[1] ?? 'aws'

/** Pure: the session policy: this build's prefix, the three actions the worker needs, nothing else. */
export function buildSessionPolicy(bucket: string, id: string, partition = 'aws'): string {
  checkBuildId(id)
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'ThisBuildOnly', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], Resource: `arn:${partition}:s3:::${bucket}/${buildPrefix(id)}*` }],
  })
}

/** Pure: a role session name for the build (CloudTrail shows it): orchard-<id>, in STS's alphabet and length. */
export const sessionName = (id: string) => `orchard-${id}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64)

/** An S3 client that may only read and write builds/<id>/, or `fallback` when the stack names no writer role. */
export async function buildScopedClient(options: { env: NodeJS.ProcessEnv; bucket: string; id: string; fallback: S3Client; sts?: () => Promise<StsSeam> }): Promise<S3Client> {
  const roleArn = options.env.ORCHARD_WRITER_ROLE_ARN
  if (!roleArn) return options.fallback
  const policy = buildSessionPolicy(options.bucket, options.id, partitionOf(options.env))
  const sts = await (options.sts ?? (async () => stsSeam(new (await import('@aws-sdk/client-sts')).STSClient({}))))()
  const credentials = async () => {
    const answer = await sts.assumeRole({ RoleArn: roleArn, RoleSessionName: sessionName(options.id), Policy: policy, DurationSeconds: 3600 })
    const c = answer.Credentials
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new BuildError('CLOUD_AUTH', `Assuming the writer role ${roleArn} for build ${options.id} returned no credentials`, { reason: 'invalid' })
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration && { expiration: c.Expiration }) }
  }
  // Fail now, before the build, when the role cannot be assumed: not after an hour of building.
  const first = await credentials()
  let cached: typeof first | undefined = first
  return createS3Client({
    credentials: async () => {
      if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > 5 * 60_000)) return cached
      cached = await credentials()
      return cached
    },
  })
}
