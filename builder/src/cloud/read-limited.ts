/**
 * Small S3 objects read with a size limit: status.json, checksums, build info and signatures
 * are a few KB when the worker writes them, but the bucket may hold anything under those
 * keys. A declared Content-Length over the limit is refused before reading; a body that
 * grows past it is cut off and refused, so a huge object never lands in memory.
 */
import { BuildError } from '../util/errors'

/** status.json, build info and a signature are kilobytes; 1 MiB leaves room and bounds memory. */
export const SMALL_OBJECT_LIMIT = 1 << 20

export interface LimitedBody {
  ContentLength?: number
  Body?: unknown
}

/** The object's body as text, refused with CLOUD_FAILED when it is over `limit` bytes. */
export async function readLimitedText(response: LimitedBody, where: string, limit = SMALL_OBJECT_LIMIT): Promise<string> {
  return new TextDecoder().decode(await readLimitedBytes(response, where, limit))
}

export async function readLimitedBytes(response: LimitedBody, where: string, limit = SMALL_OBJECT_LIMIT): Promise<Uint8Array> {
  const tooBig = (size: string) => new BuildError('CLOUD_FAILED', `${where} is ${size}, over the ${limit} bytes it may have: refused unread`, { limit })
  if (typeof response.ContentLength === 'number' && response.ContentLength > limit) throw tooBig(`${response.ContentLength} bytes`)
  const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined
  if (!body || typeof body[Symbol.asyncIterator] !== 'function') throw new BuildError('CLOUD_FAILED', `${where} came back without a readable body`)
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.byteLength
    if (size > limit) {
      body.destroy?.()
      throw tooBig('more than that')
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}
