/**
 * The cloud capability's probes: credentials as the AWS SDK's default chain finds them (with
 * the profile from the app's cloud settings), a region, and a bucket or stack to build in.
 * No S3 request is made (cloud.check does that); the credential chain may ask an SSO or
 * instance-metadata endpoint, so it gets a short timeout. None reports a secret.
 */
import type { CloudSettings } from '@common/contract'
import { createS3Client, translateS3Error } from '../../../builder/src/cloud/s3'
import { normalizeCloud } from '../services/cloud'
import { awsCredentials, awsRegion, type Probe } from './probes'

const NO_SETTINGS: CloudSettings = { region: null, profile: null, bucket: null, stack: null, endpoint: null }

/** Credentials the default chain resolves (environment, profile, SSO token, process, roles), within `timeoutMs`. */
export async function awsCredentialChain(cloud: CloudSettings = NO_SETTINGS, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Probe> {
  const id = 'aws-credentials'
  const label = 'AWS credentials'
  const env = options.env ?? process.env
  const timeoutMs = options.timeoutMs ?? 4000
  const { profile, region, endpoint } = normalizeCloud(cloud)
  const fix = profile
    ? `Sign in for profile "${profile}" ("aws sso login --profile ${profile}"), or fix that profile in ~/.aws/config`
    : 'Run "aws configure" (or "aws configure sso"), set AWS_PROFILE, or choose a profile in the cloud settings'
  // Where they would come from, in words (env, which profile in which file); never the keys.
  const where = await awsCredentials(profile ? { ...env, AWS_PROFILE: profile } : env)
  const client = createS3Client({ region: region ?? 'us-east-1', profile, endpoint })
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs)
    })
    const credentials = await Promise.race([client.config.credentials(), timeout])
    const expires = credentials.expiration ? `, valid until ${credentials.expiration.toISOString()}` : ''
    return { id, label, ok: true, detail: `${where.ok ? where.detail : 'Found by the AWS default chain'}${expires}` }
  } catch (error) {
    const message = /^timed out/.test((error as Error).message)
      ? `The AWS default chain found no credentials within ${timeoutMs / 1000} s`
      : translateS3Error(error, { action: 'resolve credentials', bucket: '', profile }).message
    return { id, label, ok: false, detail: message, fix }
  } finally {
    clearTimeout(timer)
    client.destroy()
  }
}

/** The region: the cloud settings', else the SDK's (AWS_REGION, the profile's). */
export async function cloudRegion(cloud: CloudSettings = NO_SETTINGS, env = process.env): Promise<Probe> {
  const { region, profile } = normalizeCloud(cloud)
  if (region) return { id: 'aws-region', label: 'AWS region chosen', ok: true, detail: `${region} (cloud settings)` }
  const probe = await awsRegion(profile ? { ...env, AWS_PROFILE: profile } : env)
  return probe.ok ? probe : { ...probe, fix: 'Choose the region in the cloud settings, or set AWS_REGION or "region" in ~/.aws/config' }
}

/** A bucket (or a stack whose bucket to use) in the cloud settings. */
export async function cloudTarget(cloud: CloudSettings = NO_SETTINGS): Promise<Probe> {
  const { bucket, stack, endpoint } = normalizeCloud(cloud)
  const id = 'cloud-target'
  const label = 'Cloud bucket or stack chosen'
  const at = endpoint ? ` at ${endpoint}` : ''
  if (bucket) return { id, label, ok: true, detail: `Bucket ${bucket}${at}` }
  if (stack && !endpoint) return { id, label, ok: true, detail: `Stack ${stack} (its BucketName output)` }
  return {
    id,
    label,
    ok: false,
    detail: stack ? 'A stack name needs AWS CloudFormation: with a custom endpoint, give the bucket' : 'No bucket or stack in the cloud settings',
    fix: "Enter the stack name (or its bucket) in the Build step's cloud settings",
  }
}
