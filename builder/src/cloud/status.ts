/**
 * A cloud build's status object, builds/<id>/status.json: written by the build as it runs
 * (writeStatus), followed by the app (followStatus), listed for past builds (listBuilds).
 * Its last lines are redacted before they are written: a status object never holds a secret.
 */
import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { setTimeout as sleep } from 'node:timers/promises'
import { BuildError } from '../util/errors'
import { CloudBuildStatus as BuildStatusSchema, type CloudBuild, type CloudBuildStatus as BuildStatus } from '../vocabulary'
import { s3Call } from './s3'

export { BuildStatusSchema, type BuildStatus }

export const BUILDS_PREFIX = 'builds/'
/** Lines kept in a status, and the longest line kept. */
export const STATUS_LINES = 20
export const STATUS_LINE_LENGTH = 400

const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export function checkBuildId(id: string): void {
  if (!BUILD_ID.test(id) || id.includes('..')) throw new BuildError('INVALID_INPUT', `Not a build id: ${JSON.stringify(id)} (letters, digits, ".", "_" and "-", up to 128)`)
}

export const buildPrefix = (id: string) => `${BUILDS_PREFIX}${id}/`
export const statusKey = (id: string) => `${buildPrefix(id)}status.json`

/** Pure: the objects a build publishes under builds/<id>/. */
export function outputKeys(id: string, name: string) {
  const prefix = buildPrefix(id)
  const image = `${prefix}${name}.img.xz`
  return {
    image,
    /** sha256sum of the .img.xz: what downloads verify against (`<key>.sha256`). */
    checksum: `${image}.sha256`,
    /** sha256sum of the uncompressed image, as the builder wrote it. */
    imageChecksum: `${prefix}${name}.img.sha256`,
    buildInfo: `${prefix}buildinfo.json`,
    log: `${prefix}build.log`,
  }
}

const CRYPT_HASH = /\$(6|5|y|gy|2[aby])\$[^\s:'"]+/g
const PSK_ASSIGNMENT = /(psk\s*[=:]\s*"?)[a-f0-9]{64}/gi

/**
 * Pure: lines fit for a status object: the last STATUS_LINES, each cut to STATUS_LINE_LENGTH,
 * with every given secret, every crypt hash and every `psk=<hex>` replaced by <redacted>.
 */
export function redactLines(lines: readonly string[], secrets: readonly string[] = []): string[] {
  return lines.slice(-STATUS_LINES).map((line) => {
    const out = redactText(line, secrets)
    return out.length > STATUS_LINE_LENGTH ? `${out.slice(0, STATUS_LINE_LENGTH - 1)}…` : out
  })
}

/** Pure: `text` with every given secret, every crypt hash and every `psk=<hex>` replaced by <redacted> (whole, not cut). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text
  for (const secret of secrets.filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(secret).join('<redacted>')
  return out.replace(CRYPT_HASH, '<redacted>').replace(PSK_ASSIGNMENT, '$1<redacted>')
}

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

interface Fetched {
  status: BuildStatus
  etag: string | undefined
}

/** The status as stored; null when there is none (yet); `unchanged` when it still has `etag`. */
async function fetchStatus(client: S3Client, bucket: string, id: string, etag?: string, signal?: AbortSignal): Promise<Fetched | null | 'unchanged'> {
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

export interface FollowOptions {
  client: S3Client
  bucket: string
  id: string
  signal?: AbortSignal
  /** First and longest wait between polls, ms (default 1000 and 15000): the wait grows while nothing changes. */
  minInterval?: number
  maxInterval?: number
  /** Consecutive failed polls (network, server errors) before giving up; default 5. */
  maxFailures?: number
  /** Longest one poll may take before it counts as failed, ms; default 30000. */
  pollTimeout?: number
}

/** Pure: the next wait — back to the minimum after a change, else 1.5× up to the maximum. */
export function nextInterval(current: number, changed: boolean, min: number, max: number): number {
  return changed ? min : Math.min(max, Math.round(current * 1.5))
}

/**
 * Yields the build's status each time it changes, until a final one (with a result), which
 * it yields last. A missing status (the build not started yet) is waited for. Credentials,
 * access and bucket errors end the follow; passing network trouble is retried.
 */
export async function* followStatus(options: FollowOptions): AsyncGenerator<BuildStatus> {
  const { client, bucket, id, signal } = options
  checkBuildId(id)
  const min = options.minInterval ?? 1000
  const max = options.maxInterval ?? 15_000
  let interval = min
  let etag: string | undefined
  let last: string | undefined
  let failures = 0
  await s3Call(client, { action: 'HeadBucket', bucket }, () => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }))
  for (;;) {
    if (signal?.aborted) throw new BuildError('CANCELLED', `Stopped following build ${id}`)
    let changed = false
    const timeout = AbortSignal.timeout(options.pollTimeout ?? 30_000)
    try {
      const fetched = await fetchStatus(client, bucket, id, etag, signal ? AbortSignal.any([signal, timeout]) : timeout)
      failures = 0
      if (fetched !== null && fetched !== 'unchanged') {
        etag = fetched.etag
        const text = JSON.stringify(fetched.status)
        if (text !== last) {
          last = text
          changed = true
          yield fetched.status
          if (fetched.status.result) return
        }
      }
    } catch (error) {
      if (signal?.aborted) throw new BuildError('CANCELLED', `Stopped following build ${id}`)
      const transient = timeout.aborted || (error instanceof BuildError && error.code === 'CLOUD_FAILED')
      if (!transient || ++failures >= (options.maxFailures ?? 5)) {
        throw timeout.aborted ? new BuildError('CLOUD_FAILED', `Reading the status of build ${id} timed out ${failures} times in a row`) : error
      }
    }
    interval = nextInterval(interval, changed, min, max)
    await sleep(interval, undefined, { signal }).catch(() => {
      throw new BuildError('CANCELLED', `Stopped following build ${id}`)
    })
  }
}

/** Every build under builds/, newest first (by start time, else id). */
export async function listBuilds(options: { client: S3Client; bucket: string; concurrency?: number }): Promise<CloudBuild[]> {
  const { client, bucket } = options
  const ids: string[] = []
  let token: string | undefined
  do {
    const page = await s3Call(client, { action: 'ListObjectsV2', bucket, key: BUILDS_PREFIX }, () =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: BUILDS_PREFIX, Delimiter: '/', ...(token && { ContinuationToken: token }) })),
    )
    for (const prefix of page.CommonPrefixes ?? []) {
      const id = prefix.Prefix?.slice(BUILDS_PREFIX.length, -1)
      if (id && BUILD_ID.test(id)) ids.push(id)
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)

  const builds: CloudBuild[] = new Array(ids.length)
  let next = 0
  const worker = async () => {
    while (next < ids.length) {
      const index = next++
      const id = ids[index]!
      const status = await fetchStatus(client, bucket, id).then(
        (fetched) => (fetched === null || fetched === 'unchanged' ? null : fetched.status),
        (error: unknown) => {
          // One damaged status must not hide the other builds.
          if (error instanceof BuildError && error.code === 'CLOUD_FAILED') return null
          throw error
        },
      )
      builds[index] = { id, status, result: status ? (status.result ?? 'running') : 'unknown' }
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, ids.length) }, worker))
  return builds.sort((a, b) => (b.status?.startedAt ?? '').localeCompare(a.status?.startedAt ?? '') || b.id.localeCompare(a.id))
}
