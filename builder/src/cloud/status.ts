/**
 * A cloud build's status object, builds/<id>/status.json: written by the build as it runs (and
 * as "queued" by the upload), read by both sides; followed and listed by the client
 * (client/follow-status.ts, client/list-builds.ts). Its last lines are redacted before they are
 * written (redact.ts): a status object never holds a secret.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { BuildError } from '../util/errors'
import { CloudBuildStatus as BuildStatusSchema, type CloudBuildStatus as BuildStatus } from '../vocabulary'
import { checkBuildId, statusKey } from './build-keys'
import { readLimitedText } from './read-limited'
import { redactLines } from './redact'
import { s3Call } from './s3'

export { BuildStatusSchema, type BuildStatus }

/**
 * Writes builds/<id>/status.json. `secrets`: strings to redact besides the patterns
 * redactLines always removes (the recipe's PSK and password hashes, on the build side).
 */
export async function writeStatus(client: S3Client, bucket: string, id: string, status: BuildStatus, options: { secrets?: readonly string[] } = {}): Promise<void> {
  checkBuildId(id)
  if (status.id !== id) throw new BuildError('INVALID_INPUT', `The status is for build ${status.id}, not ${id}`)
  const parsed = BuildStatusSchema.safeParse(status)
  if (!parsed.success) throw new BuildError('INVALID_INPUT', `Not a build status: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`)
  const secrets = options.secrets ?? []
  const clean: BuildStatus = {
    ...parsed.data,
    lastLines: redactLines(parsed.data.lastLines, secrets),
    ...(parsed.data.error !== undefined && { error: redactLines([parsed.data.error], secrets)[0]! }),
  }
  const key = statusKey(id)
  await s3Call(client, { action: 'PutObject', bucket, key }, () =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${JSON.stringify(clean, null, 2)}\n`, ContentType: 'application/json', CacheControl: 'no-cache' })),
  )
}

export interface Fetched {
  status: BuildStatus
  etag: string | undefined
}

/**
 * Pure: status.json's text as a status, or CLOUD_FAILED saying why it is not one (not JSON,
 * or the shape is wrong: the first problem's path and message). Never any other error.
 */
export function parseStatusText(text: string, where: string): BuildStatus {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new BuildError('CLOUD_FAILED', `${where} is not JSON`)
  }
  const parsed = BuildStatusSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new BuildError('CLOUD_FAILED', `${where} is not a build status: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'unreadable'}`)
  }
  return parsed.data
}

/**
 * The status as stored; null when there is none (yet); `unchanged` when it still has `etag`.
 * Read with a limit (1 MiB): a status is a few KB, and a bucket may hold anything.
 */
export async function fetchStatus(client: S3Client, bucket: string, id: string, etag?: string, signal?: AbortSignal): Promise<Fetched | null | 'unchanged'> {
  const key = statusKey(id)
  const where = `s3://${bucket}/${key}`
  try {
    const { response, text } = await s3Call(client, { action: 'GetObject', bucket, key }, async () => {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(etag && { IfNoneMatch: etag }) }), { abortSignal: signal })
      // A body cut short (a dropped connection, a store that is rewriting the object) is a failed poll.
      return { response, text: await readLimitedText(response, where) }
    })
    return { status: parseStatusText(text, where), etag: response.ETag }
  } catch (error) {
    if (error instanceof BuildError && error.code === 'CLOUD_NOT_FOUND' && (error.detail as { missing?: string } | undefined)?.missing === 'key') return null
    if (error instanceof BuildError && (error.detail as { status?: number } | undefined)?.status === 304) return 'unchanged'
    throw error
  }
}

export async function readStatus(client: S3Client, bucket: string, id: string): Promise<BuildStatus | null> {
  checkBuildId(id)
  const fetched = await fetchStatus(client, bucket, id)
  return fetched === 'unchanged' || fetched === null ? null : fetched.status
}
