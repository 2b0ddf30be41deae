import { NoSuchBucket, S3ServiceException } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { BuildError } from '../util/errors'
import { createS3Client, translateS3Error } from './s3'

const context = { action: 'GetObject', bucket: 'pipeline', key: 'builds/x/status.json', region: 'us-east-1' }
const s3Error = (name: string, status: number, fields: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  Object.assign(new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: fields.message as string | undefined }), fields, {
    $response: { statusCode: status, headers, body: undefined },
  })

describe('translateS3Error', () => {
  it('names the missing credentials and the expired SSO session', () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })
    expect(translateS3Error(missing, context)).toMatchObject({ code: 'CLOUD_AUTH', detail: { reason: 'missing' } })
    const sso = Object.assign(new Error('The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.'), {
      name: 'CredentialsProviderError',
    })
    expect(translateS3Error(sso, { ...context, profile: 'dev' })).toMatchObject({ code: 'CLOUD_AUTH', message: expect.stringContaining('"aws sso login --profile dev"'), detail: { reason: 'expired' } })
    expect(translateS3Error(s3Error('ExpiredToken', 400), context)).toMatchObject({ code: 'CLOUD_AUTH', detail: { reason: 'expired' } })
    expect(translateS3Error(s3Error('InvalidAccessKeyId', 403), context)).toMatchObject({ code: 'CLOUD_AUTH', detail: { reason: 'invalid' } })
  })

  it('tells a missing bucket from a missing key', () => {
    const bucket = new NoSuchBucket({ $metadata: { httpStatusCode: 404 }, message: 'The specified bucket does not exist' })
    expect(translateS3Error(bucket, context)).toMatchObject({ code: 'CLOUD_NOT_FOUND', detail: { missing: 'bucket' } })
    expect(translateS3Error(s3Error('NoSuchKey', 404), context)).toMatchObject({ code: 'CLOUD_NOT_FOUND', message: 's3://pipeline/builds/x/status.json does not exist.', detail: { missing: 'key' } })
    expect(translateS3Error(s3Error('NotFound', 404), { action: 'HeadBucket', bucket: 'pipeline' })).toMatchObject({ code: 'CLOUD_NOT_FOUND', detail: { missing: 'bucket' } })
  })

  it('finds the bucket region in the body, the header, the message or the endpoint', () => {
    const region = (error: unknown) => (translateS3Error(error, context).detail as { region?: string }).region
    expect(region(s3Error('AuthorizationHeaderMalformed', 400, { Region: 'eu-central-1' }))).toBe('eu-central-1')
    expect(region(s3Error('Unknown', 301, {}, { 'x-amz-bucket-region': 'sa-east-1' }))).toBe('sa-east-1')
    expect(region(s3Error('AuthorizationHeaderMalformed', 400, { message: "the region 'us-east-1' is wrong; expecting 'eu-north-1'" }))).toBe('eu-north-1')
    expect(region(s3Error('PermanentRedirect', 301, { Endpoint: 'b.s3.ap-south-1.amazonaws.com' }))).toBe('ap-south-1')
    expect(translateS3Error(s3Error('PermanentRedirect', 301), context)).toMatchObject({ code: 'CLOUD_WRONG_REGION', message: expect.stringContaining('is in another region, not us-east-1') })
    // Malformed for another reason than the region: not a region problem.
    expect(translateS3Error(s3Error('AuthorizationHeaderMalformed', 400, { message: 'bad date' }), context).code).toBe('CLOUD_FAILED')
  })

  it('names the permission an access-denied call lacks', () => {
    expect(translateS3Error(s3Error('AccessDenied', 403), { ...context, action: 'ListObjectsV2' }).message).toContain('s3:ListBucket')
    expect(translateS3Error(s3Error('AccessDenied', 403), { ...context, action: 'CopyObject' }).message).toContain('s3:PutObject')
  })

  it('keeps BuildErrors, turns aborts into CANCELLED and unknown failures into CLOUD_FAILED', () => {
    const own = new BuildError('CHECKSUM_MISMATCH', 'x')
    expect(translateS3Error(own, context)).toBe(own)
    expect(translateS3Error(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }), context).code).toBe('CANCELLED')
    expect(translateS3Error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), context)).toMatchObject({ code: 'CLOUD_FAILED', detail: { network: 'ECONNREFUSED' } })
    expect(translateS3Error(new Error('Region is missing'), context).code).toBe('INVALID_INPUT')
  })
})

describe('createS3Client', () => {
  it('uses path style and checksums only when required for a custom endpoint, AWS defaults otherwise', async () => {
    const compatible = createS3Client({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
    expect(compatible.config.forcePathStyle).toBe(true)
    expect(await compatible.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED')
    expect(await compatible.config.region()).toBe('eu-west-1')
    const saved = process.env.AWS_ENDPOINT_URL_S3
    delete process.env.AWS_ENDPOINT_URL_S3
    delete process.env.AWS_ENDPOINT_URL
    try {
      const aws = createS3Client({ region: 'eu-west-1', profile: 'work' })
      expect(aws.config.forcePathStyle).toBe(false)
      expect(await aws.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED')
      expect((aws.config as { profile?: string }).profile).toBe('work')
    } finally {
      if (saved !== undefined) process.env.AWS_ENDPOINT_URL_S3 = saved
    }
  })
})
