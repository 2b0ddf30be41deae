/** What a download asks S3 before the first part: the object's size and ETag, and its published SHA256. */
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { BuildError } from '../../../util/errors'
import { readLimitedText } from '../../read-limited'
import { s3Call } from '../../s3'

/** Pure: the SHA256 in a `.sha256` file (`<hex>  <name>` as sha256sum writes it, or the bare hex). */
export function parseChecksumFile(text: string): string | null {
  const first = text.trim().split(/\s+/)[0] ?? ''
  return /^[a-fA-F0-9]{64}$/.test(first) ? first.toLowerCase() : null
}

/** The expected SHA256 from `<key>.sha256`. */
export async function publishedSha256(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<string> {
  const checksumKey = `${key}.sha256`
  const response = await s3Call(client, { action: 'GetObject', bucket, key: checksumKey }, () =>
    client.send(new GetObjectCommand({ Bucket: bucket, Key: checksumKey }), { abortSignal: signal }),
  ).catch((error: unknown) => {
    if (error instanceof BuildError && error.code === 'CLOUD_NOT_FOUND' && (error.detail as { missing?: string }).missing === 'key') {
      throw new BuildError('CLOUD_NOT_FOUND', `No published checksum for s3://${bucket}/${key}: s3://${bucket}/${checksumKey} does not exist. Give the expected SHA256 instead.`, error.detail)
    }
    throw error
  })
  // A .sha256 is one line; a bucket may hold anything under that key.
  const text = await readLimitedText(response, `s3://${bucket}/${checksumKey}`, 4096)
  const sha256 = parseChecksumFile(text)
  if (!sha256) throw new BuildError('CLOUD_FAILED', `s3://${bucket}/${checksumKey} does not hold a SHA256`)
  return sha256
}

/** HeadObject's 404 has no body: ask for the bucket to tell "no such bucket" from "no such key". */
export async function headObject(client: S3Client, bucket: string, key: string, signal?: AbortSignal) {
  try {
    return await s3Call(client, { action: 'HeadObject', bucket, key }, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }))
  } catch (error) {
    if (error instanceof BuildError && error.code === 'CLOUD_NOT_FOUND') {
      await s3Call(client, { action: 'HeadBucket', bucket }, () => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }))
    }
    throw error
  }
}
