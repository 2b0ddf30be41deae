/**
 * The S3 client cloud builds use, and S3 failures translated into BuildErrors a person can
 * act on. Credentials come from the AWS default chain (environment, shared config and
 * credentials files with their profiles, SSO, web identity, container/instance roles); a
 * custom endpoint serves S3-compatible stores (path-style addressing, checksums only when
 * the operation requires them, as most such stores do not keep the SDK's newer ones).
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { BuildError } from '../util/errors'

export interface CloudS3Options {
  /** AWS region of the bucket; default: AWS_REGION / the profile's region. */
  region?: string
  /** A profile from ~/.aws/config (as AWS_PROFILE); default: AWS_PROFILE, else "default". */
  profile?: string
  /** An S3-compatible endpoint (http://127.0.0.1:9000); AWS_ENDPOINT_URL_S3 works too. */
  endpoint?: string
  /** Path-style URLs (endpoint/bucket/key); default: on with a custom endpoint, off for AWS. */
  forcePathStyle?: boolean
  /** Explicit credentials instead of the default chain (tests, a credentials dialog). */
  credentials?: S3ClientConfig['credentials']
  /** Attempts per request for transient failures (the SDK's retry strategy); default 3. */
  maxAttempts?: number
}

export function createS3Client(options: CloudS3Options = {}): S3Client {
  // The SDK reads the endpoint variables itself; they only change the defaults here.
  const compatible = Boolean(options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL)
  return new S3Client({
    ...(options.region && { region: options.region }),
    ...(options.profile && { profile: options.profile }),
    ...(options.endpoint && { endpoint: options.endpoint }),
    ...(options.credentials && { credentials: options.credentials }),
    ...(options.maxAttempts && { maxAttempts: options.maxAttempts }),
    forcePathStyle: options.forcePathStyle ?? compatible,
    ...(compatible && { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
  })
}

/** What was being done when S3 failed: names the operation, bucket and key in the message. */
export interface S3Context {
  /** The S3 operation (GetObject, PutObject, ListObjectsV2, HeadObject, …). */
  action: string
  bucket: string
  key?: string
  /** The region the client used, when known (for wrong-region messages). */
  region?: string
  profile?: string
}

/** Runs one S3 call and turns its failure into a BuildError (with the client's region in the message). */
export async function s3Call<T>(client: S3Client, context: S3Context, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof BuildError) throw error
    const region = context.region ?? (await client.config.region().catch(() => undefined))
    const profile = context.profile ?? (client.config as { profile?: string }).profile
    throw translateS3Error(error, { ...context, region, ...(profile && { profile }) })
  }
}

/** The fields of an SDK error this module reads (S3ServiceException, provider errors, network errors). */
interface SdkError {
  name?: string
  message?: string
  code?: string
  Code?: string
  Region?: string
  Endpoint?: string
  Bucket?: string
  $metadata?: { httpStatusCode?: number }
  $response?: { headers?: Record<string, string | undefined> }
}

const location = ({ bucket, key }: S3Context) => (key === undefined ? `s3://${bucket}` : `s3://${bucket}/${key}`)

/** The IAM permission an S3 operation needs, for access-denied messages. */
function permission(action: string): string {
  if (action === 'ListObjectsV2' || action === 'HeadBucket') return 's3:ListBucket'
  if (action === 'HeadObject') return 's3:GetObject'
  if (action === 'Upload' || action === 'CreateMultipartUpload' || action === 'CopyObject') return 's3:PutObject'
  return `s3:${action}`
}

const AUTH_HELP =
  'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile from ~/.aws/config (AWS_PROFILE), or sign in with "aws sso login".'

/** Pure: an SDK error (or anything thrown by a call) → the BuildError a person can act on. */
export function translateS3Error(thrown: unknown, context: S3Context): BuildError {
  if (thrown instanceof BuildError) return thrown
  const error = (thrown ?? {}) as SdkError
  const name = error.name ?? 'Error'
  const message = error.message ?? String(thrown)
  const status = error.$metadata?.httpStatusCode
  const where = location(context)
  const detail = { action: context.action, bucket: context.bucket, ...(context.key !== undefined && { key: context.key }), s3Code: name, ...(status && { status }) }
  const profileHint = context.profile ?? process.env.AWS_PROFILE

  if (name === 'AbortError') return new BuildError('CANCELLED', `Cancelled: ${context.action} ${where}`)

  // Credentials that could not be found or loaded (the SDK's provider chain).
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    if (/sso/i.test(message) || name === 'TokenProviderError') {
      const login = profileHint ? `aws sso login --profile ${profileHint}` : 'aws sso login'
      if (/expired|refresh|invalid|not found/i.test(message)) {
        return new BuildError('CLOUD_AUTH', `Your AWS SSO session has expired or was never started. Sign in again with "${login}", then retry.`, { ...detail, reason: 'expired' })
      }
      return new BuildError('CLOUD_AUTH', `AWS SSO sign-in failed: ${message}`, { ...detail, reason: 'invalid' })
    }
    if (/could not load credentials|unable to find|no credentials/i.test(message)) {
      return new BuildError('CLOUD_AUTH', `No AWS credentials found. ${AUTH_HELP}`, { ...detail, reason: 'missing' })
    }
    if (/profile/i.test(message)) return new BuildError('CLOUD_AUTH', `The AWS profile cannot be used: ${message}`, { ...detail, reason: 'invalid' })
    return new BuildError('CLOUD_AUTH', `AWS credentials could not be loaded: ${message}`, { ...detail, reason: 'missing' })
  }
  if (/^Region is missing/i.test(message)) {
    return new BuildError('INVALID_INPUT', 'No AWS region is set: choose the bucket\'s region, or set AWS_REGION (or "region" in your AWS profile).', detail)
  }

  // The credentials were sent but S3 refused them.
  if (name === 'ExpiredToken' || name === 'TokenRefreshRequired' || name === 'ExpiredTokenException') {
    return new BuildError('CLOUD_AUTH', `Your AWS session credentials have expired. Sign in again ("aws sso login" or refresh the temporary keys), then retry.`, { ...detail, reason: 'expired' })
  }
  if (name === 'InvalidAccessKeyId' || name === 'InvalidToken' || name === 'SignatureDoesNotMatch' || name === 'InvalidClientTokenId') {
    return new BuildError('CLOUD_AUTH', `AWS rejected the credentials (${name}): the access key or secret is wrong or was deleted. ${AUTH_HELP}`, { ...detail, reason: 'invalid' })
  }

  // The bucket lives in another region than the client asked.
  const redirectRegion =
    error.Region ?? error.$response?.headers?.['x-amz-bucket-region'] ?? /expecting '([a-z0-9-]+)'/.exec(message)?.[1] ?? regionOfEndpoint(error.Endpoint)
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || name === 'IllegalLocationConstraintException' || status === 301) {
    if (redirectRegion || name !== 'AuthorizationHeaderMalformed') {
      const actual = redirectRegion ? `is in region ${redirectRegion}` : 'is in another region'
      const asked = context.region ? `, not ${context.region}` : ''
      const fix = redirectRegion ? `: choose ${redirectRegion}` : ': choose the bucket\'s region'
      return new BuildError('CLOUD_WRONG_REGION', `The bucket ${context.bucket} ${actual}${asked}${fix} (or set AWS_REGION=${redirectRegion ?? '<region>'}).`, {
        ...detail,
        ...(redirectRegion && { region: redirectRegion }),
        ...(context.region && { clientRegion: context.region }),
      })
    }
  }

  if (name === 'NoSuchBucket' || ((name === 'NotFound' || status === 404) && context.key === undefined)) {
    return new BuildError('CLOUD_NOT_FOUND', `The bucket ${context.bucket} does not exist (or not at this endpoint/account). Check the bucket name, or deploy the cloud stack that creates it.`, {
      ...detail,
      missing: 'bucket',
    })
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new BuildError('CLOUD_NOT_FOUND', `${where} does not exist.`, { ...detail, missing: context.key === undefined ? 'bucket' : 'key' })
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || name === 'AllAccessDisabled' || name === 'AccountProblem' || status === 403) {
    const who = profileHint ? ` (profile ${profileHint})` : ''
    return new BuildError(
      'CLOUD_ACCESS_DENIED',
      `Access denied: the AWS credentials in use${who} may not ${context.action} ${where}. They need ${permission(context.action)} on that bucket (and the bucket policy must allow it).`,
      detail,
    )
  }

  const code = error.code ?? ''
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(code) || name === 'TimeoutError') {
    return new BuildError('CLOUD_FAILED', `Cannot reach S3 for ${context.action} ${where}: ${code || name} (${message}). Check the network, the endpoint and the region.`, { ...detail, network: code || name })
  }
  return new BuildError('CLOUD_FAILED', `${context.action} ${where} failed: ${name}: ${message}`, detail)
}

/** s3.eu-west-1.amazonaws.com or bucket.s3.eu-west-1.amazonaws.com → eu-west-1. */
function regionOfEndpoint(endpoint: string | undefined): string | undefined {
  return endpoint ? /s3[.-]([a-z]{2}(-[a-z]+)+-\d)\.amazonaws\.com/.exec(endpoint)?.[1] : undefined
}
