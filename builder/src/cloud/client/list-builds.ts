/** The builds in the bucket, each with its last status, for the app's and CLI's list of past builds. */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { BuildError } from '../../util/errors'
import type { CloudBuild } from '../../vocabulary'
import { BUILD_ID, BUILDS_PREFIX } from '../build-keys'
import { s3Call } from '../s3'
import { fetchStatus } from '../status'

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
