/** Following a cloud build from the app or CLI: its status.json polled until the build ends. */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3'
import { setTimeout as sleep } from 'node:timers/promises'
import { BuildError } from '../../util/errors'
import { checkBuildId } from '../build-keys'
import { s3Call } from '../s3'
import { fetchStatus, type BuildStatus } from '../status'

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
