/**
 * Sending a packed build.zip: to builds/<id>/build.zip, a first status ("queued"), then a copy to
 * build.zip, the pipeline's trigger.
 */
import { CopyObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { BuildError } from '../../util/errors'
import { s3Call } from '../s3'
import { buildPrefix, checkBuildId } from '../build-keys'
import { writeStatus } from '../status'
import type { PackedBuild } from './pack-build-zip'

/** The pipeline's trigger object. */
export const TRIGGER_KEY = 'build.zip'

export interface UploadProgress {
  bytes: number
  total: number
}

export interface UploadedBuild {
  id: string
  bucket: string
  /** builds/<id>/build.zip */
  key: string
  /** build.zip: the copy that starts the pipeline */
  triggerKey: string
}

/**
 * Uploads a packed build.zip: to builds/<id>/build.zip (multipart, progress, cancellable;
 * an aborted upload leaves no parts behind), a first status ("queued"), then a server-side
 * copy to build.zip, which starts the pipeline. The trigger appears only once everything
 * before it is in place.
 */
export async function uploadBuildZip(options: {
  client: S3Client
  bucket: string
  packed: Pick<PackedBuild, 'file' | 'id'>
  onProgress?: (progress: UploadProgress) => void
  signal?: AbortSignal
}): Promise<UploadedBuild> {
  const { client, bucket, packed, signal } = options
  checkBuildId(packed.id)
  const key = `${buildPrefix(packed.id)}build.zip`
  const total = (await stat(packed.file)).size
  if (signal?.aborted) throw new BuildError('CANCELLED', 'Upload cancelled')
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: createReadStream(packed.file), ContentType: 'application/zip', Metadata: { 'orchard-build-id': packed.id } },
    partSize: 16 << 20,
    queueSize: 4,
    leavePartsOnError: false,
  })
  upload.on('httpUploadProgress', (progress) => options.onProgress?.({ bytes: progress.loaded ?? 0, total }))
  const abort = () => void upload.abort().catch(() => {})
  signal?.addEventListener('abort', abort, { once: true })
  try {
    await s3Call(client, { action: 'PutObject', bucket, key }, () => upload.done())
  } catch (error) {
    if (signal?.aborted) throw new BuildError('CANCELLED', 'Upload cancelled')
    throw error
  } finally {
    signal?.removeEventListener('abort', abort)
  }
  options.onProgress?.({ bytes: total, total })
  const startedAt = new Date().toISOString()
  await writeStatus(client, bucket, packed.id, { id: packed.id, phase: 'queued', percent: 0, startedAt, lastLines: [] })
  try {
    if (signal?.aborted) throw new BuildError('CANCELLED', 'Upload cancelled before the build was started')
    await s3Call(client, { action: 'CopyObject', bucket, key: TRIGGER_KEY }, () =>
      client.send(new CopyObjectCommand({ Bucket: bucket, Key: TRIGGER_KEY, CopySource: `${bucket}/${key}`, MetadataDirective: 'COPY' })),
    )
  } catch (error) {
    // The build never started: say so in its status rather than leave it queued forever.
    const failed = { id: packed.id, phase: 'queued', percent: 0, startedAt, endedAt: new Date().toISOString(), result: 'failed' as const, lastLines: [] }
    await writeStatus(client, bucket, packed.id, { ...failed, error: `not started: ${(error as Error).message}` }).catch(() => {})
    throw error
  }
  return { id: packed.id, bucket, key, triggerKey: TRIGGER_KEY }
}
