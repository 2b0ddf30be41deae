/**
 * S3 failures as the builder reports them: credentials (none at all, an expired SSO
 * session) and a missing bucket against a real s3rver; wrong region, access denied and
 * expired tokens from a loopback HTTP server answering with S3's documented error responses
 * (s3rver has no regions or policies), read by the real SDK.
 */
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startS3, type TestS3 } from '../testing/s3'
import { downloadVerified } from './client/download/download'
import { createS3Client } from './s3'
import { listBuilds } from './client/list-builds'
import { readStatus } from './status'

let s3: TestS3
let dir: string
let canned: http.Server
let cannedEndpoint: string
const saved = { ...process.env }

/** What S3 answers in each case (from the S3 API reference and real responses). */
function cannedS3(request: http.IncomingMessage, response: http.ServerResponse): void {
  const bucket = decodeURIComponent((request.url ?? '/').split('?')[0]!.split('/')[1] ?? '')
  const xml = (status: number, code: string, message: string, extra = '', headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'TEST', ...headers })
    response.end(request.method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>TEST</RequestId></Error>`)
  }
  if (bucket === 'moved') {
    xml(301, 'PermanentRedirect', 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.', `<Endpoint>moved.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>moved</Bucket>`, { 'x-amz-bucket-region': 'eu-west-1' })
  } else if (bucket === 'malformed') {
    xml(400, 'AuthorizationHeaderMalformed', "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'ap-southeast-2'", '<Region>ap-southeast-2</Region>')
  } else if (bucket === 'denied') {
    xml(403, 'AccessDenied', 'Access Denied')
  } else if (bucket === 'expired') {
    xml(400, 'ExpiredToken', 'The provided token has expired.')
  } else {
    xml(500, 'InternalError', 'We encountered an internal error. Please try again.')
  }
}

beforeAll(async () => {
  s3 = await startS3(['artifacts'])
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-s3-errors-'))
  canned = http.createServer(cannedS3)
  await new Promise<void>((resolve) => canned.listen(0, '127.0.0.1', resolve))
  cannedEndpoint = `http://127.0.0.1:${(canned.address() as { port: number }).port}`
})

afterEach(() => {
  process.env = { ...saved }
})

afterAll(async () => {
  await new Promise((resolve) => canned.close(resolve))
  await s3.close()
  await rm(dir, { recursive: true, force: true })
})

/** An environment with no AWS credentials anywhere: no AWS_* variables, empty config files, no home, no instance metadata. */
async function bareEnvironment(name: string): Promise<string> {
  const home = path.join(dir, name)
  await mkdir(path.join(home, '.aws'), { recursive: true })
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key]
  await writeFile(path.join(home, 'config'), '')
  await writeFile(path.join(home, 'credentials'), '')
  Object.assign(process.env, {
    HOME: home,
    USERPROFILE: home,
    AWS_CONFIG_FILE: path.join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    // This machine may be an EC2 instance with a role: the test must not find that.
    AWS_EC2_METADATA_DISABLED: 'true',
  })
  return home
}

describe('credentials', () => {
  it('says when there are no AWS credentials at all', async () => {
    await bareEnvironment('none')
    const client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint })
    await expect(listBuilds({ client, bucket: 'artifacts' })).rejects.toMatchObject({
      code: 'CLOUD_AUTH',
      message: expect.stringMatching(/^No AWS credentials found\. Set AWS_ACCESS_KEY_ID/),
      detail: { reason: 'missing' },
    })
  })

  it('says when the SSO session has expired, naming the profile to sign in with', async () => {
    const home = await bareEnvironment('sso')
    await writeFile(
      process.env.AWS_CONFIG_FILE!,
      [
        '[profile dev]',
        'sso_session = corp',
        'sso_account_id = 111122223333',
        'sso_role_name = Builder',
        'region = us-east-1',
        '[sso-session corp]',
        'sso_start_url = https://example.awsapps.com/start',
        'sso_region = us-east-1',
        'sso_registration_scopes = sso:account:access',
        '',
      ].join('\n'),
    )
    const cache = path.join(home, '.aws', 'sso', 'cache')
    await mkdir(cache, { recursive: true })
    await writeFile(
      path.join(cache, `${createHash('sha1').update('corp').digest('hex')}.json`),
      JSON.stringify({ accessToken: 'old', expiresAt: '2020-01-01T00:00:00Z', region: 'us-east-1', startUrl: 'https://example.awsapps.com/start' }),
    )
    const client = createS3Client({ profile: 'dev', endpoint: s3.endpoint })
    await expect(readStatus(client, 'artifacts', 'b1')).rejects.toMatchObject({
      code: 'CLOUD_AUTH',
      message: expect.stringContaining('aws sso login --profile dev'),
      detail: { reason: 'expired' },
    })
  })

  it('says when S3 refuses an expired session token', async () => {
    const client = createS3Client({ region: 'us-east-1', endpoint: cannedEndpoint, credentials: { accessKeyId: 'A', secretAccessKey: 'B', sessionToken: 'C' } })
    await expect(readStatus(client, 'expired', 'b1')).rejects.toMatchObject({ code: 'CLOUD_AUTH', detail: { reason: 'expired' } })
  })
})

describe('buckets', () => {
  const client = () => createS3Client({ region: 'us-east-1', endpoint: cannedEndpoint, credentials: { accessKeyId: 'A', secretAccessKey: 'B' }, maxAttempts: 1 })

  it('names a missing bucket', async () => {
    await expect(listBuilds({ client: s3.client(), bucket: 'not-there' })).rejects.toMatchObject({
      code: 'CLOUD_NOT_FOUND',
      message: expect.stringMatching(/^The bucket not-there does not exist/),
      detail: { missing: 'bucket', s3Code: 'NoSuchBucket' },
    })
  })

  it('names the region of a bucket in another region (301 PermanentRedirect, with and without a body)', async () => {
    await expect(listBuilds({ client: client(), bucket: 'moved' })).rejects.toMatchObject({
      code: 'CLOUD_WRONG_REGION',
      message: 'The bucket moved is in region eu-west-1, not us-east-1: choose eu-west-1 (or set AWS_REGION=eu-west-1).',
      detail: { region: 'eu-west-1', clientRegion: 'us-east-1' },
    })
    // HEAD has no body: the region comes from the x-amz-bucket-region header.
    await expect(downloadVerified({ client: client(), bucket: 'moved', key: 'image.img', expectedSha256: 'a'.repeat(64), dest: path.join(dir, 'moved') })).rejects.toMatchObject({
      code: 'CLOUD_WRONG_REGION',
      detail: { region: 'eu-west-1' },
    })
  })

  it('names the region S3 expects when the signature used another (AuthorizationHeaderMalformed)', async () => {
    await expect(readStatus(client(), 'malformed', 'b1')).rejects.toMatchObject({ code: 'CLOUD_WRONG_REGION', detail: { region: 'ap-southeast-2' } })
  })

  it('says which permission is missing when access is denied', async () => {
    await expect(listBuilds({ client: client(), bucket: 'denied' })).rejects.toMatchObject({
      code: 'CLOUD_ACCESS_DENIED',
      message: expect.stringContaining('need s3:ListBucket'),
    })
    await expect(readStatus(client(), 'denied', 'b1')).rejects.toMatchObject({ code: 'CLOUD_ACCESS_DENIED', message: expect.stringContaining('s3:GetObject on') })
  })

  it('reports other S3 failures with their S3 code', async () => {
    await expect(readStatus(client(), 'broken', 'b1')).rejects.toMatchObject({ code: 'CLOUD_FAILED', detail: { s3Code: 'InternalError', status: 500 } })
  })

  it('says when the endpoint cannot be reached', async () => {
    const closed = createS3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'A', secretAccessKey: 'B' }, maxAttempts: 1 })
    await expect(readStatus(closed, 'artifacts', 'b1')).rejects.toMatchObject({ code: 'CLOUD_FAILED', message: expect.stringContaining('Cannot reach S3') })
  })
})
