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

/** The status as stored; null when there is none (yet); `unchanged` when it still has `etag`. */
export async function fetchStatus(client: S3Client, bucket: string, id: string, etag?: string, signal?: AbortSignal): Promise<Fetched | null | 'unchanged'> {
  const key = statusKey(id)
  try {
    const { response, text } = await s3Call(client, { action: 'GetObject', bucket, key }, async () => {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(etag && { IfNoneMatch: etag }) }), { abortSignal: signal })
      // A body cut short (a dropped connection, a store that is rewriting the object) is a failed poll.
      return { response, text: await response.Body!.transformToString() }
    })
    const parsed = BuildStatusSchema.safeParse(JSON.parse(text))
    if (!parsed.success) throw new BuildError('CLOUD_FAILED', `s3://${bucket}/${key} is not a build status: ${parsed.error.issues[0]?.message}`)
    return { status: parsed.data, etag: response.ETag }
  } catch (error) {
    if (error instanceof SyntaxError) throw new BuildError('CLOUD_FAILED', `s3://${bucket}/${key} is not JSON`)
    if (error instanceof BuildError && error.code === 'CLOUD_NOT_FOUND' && (error.detail as { missing?: string }).missing === 'key') return null
    if (error instanceof BuildError && (error.detail as { status?: number } | undefined)?.status === 304) return 'unchanged'
    throw error
  }
}

export async function readStatus(client: S3Client, bucket: string, id: string): Promise<BuildStatus | null> {
  checkBuildId(id)
  const fetched = await fetchStatus(client, bucket, id)
  return fetched === 'unchanged' || fetched === null ? null : fetched.status
}
