/**
 * Verified, parallel, resumable download of one S3 object.
 *
 * Parts (8 MiB by default) are fetched with ranged GETs, several at once (two at first, more
 * while that raises the speed: connections.ts), and their chunks are written as they arrive with
 * positional writes into `<dest>.partial` (part-writes.ts). The SHA256 is computed in object order
 * in the main thread (ordered-hash.ts): chunks of the next part in order are hashed as they arrive,
 * chunks of later parts are held until the parts before them are in. Parts start only within a
 * window past the next part to hash, so memory stays bounded: (concurrency + 4) × part size at most.
 * A part cut off mid-body is fetched again from its last received byte.
 *
 * Resume: `<dest>.partial.json` (resume-state.ts) records the object and the verified offset. Node's
 * Hash state cannot be saved, so a resumed download hashes that prefix again from disk
 * (a local read, far faster than the download) and fetches from the verified offset on.
 * A different ETag (the object was replaced) starts over. The file takes its real name
 * only when the whole SHA256 matches; on a mismatch nothing is kept.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BuildError } from '../../../util/errors'
import { translateS3Error } from '../../s3'
import { ConnectionScheduler } from './connections'
import { headObject, publishedSha256 } from './object-facts'
import { OrderedHash } from './ordered-hash'
import { PartWrites } from './part-writes'
import { planParts } from './parts'
import { beginState, discardPartialDownload, partialFile, stateFile, StateSaver } from './resume-state'
import { SpeedMeter } from './speed-meter'

export const DEFAULT_PART_SIZE = 8 << 20
export const DEFAULT_CONCURRENCY = 6

export interface DownloadProgress {
  /** Bytes in hand, including a resumed prefix. */
  bytes: number
  total: number
  /** Bytes per second over the last few seconds. */
  speed: number
  /** null until a speed is known. */
  etaSeconds: number | null
}

export interface DownloadOptions {
  client: S3Client
  bucket: string
  key: string
  /** The expected SHA256; default: the first word of the published `<key>.sha256` object. */
  expectedSha256?: string
  dest: string
  partSize?: number
  /** Ranged GETs in flight at most; default 6, starting with 2. Memory: (concurrency + 4) × partSize at most. */
  concurrency?: number
  /** Attempts per part after a cut connection or a server error; default 5. */
  retries?: number
  onProgress?: (progress: DownloadProgress) => void
  signal?: AbortSignal
}

export interface DownloadResult {
  file: string
  sha256: string
  bytes: number
  etag: string
  /** The verified offset a previous, interrupted download had reached (0 for a fresh one). */
  resumedFrom: number
}

class ObjectChanged extends Error {}

/** Errors worth another attempt at a part: cut connections, timeouts, server errors, short bodies. */
function retryable(error: unknown): boolean {
  if (error instanceof ObjectChanged) return false
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; message?: string }
  const status = e.$metadata?.httpStatusCode
  if (status !== undefined && status >= 400 && status < 500) return status === 408 || status === 429
  if (status !== undefined && status >= 500) return true
  if (e.$retryable) return true
  if (/^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENETUNREACH|EHOSTUNREACH|EAI_AGAIN|ERR_STREAM_PREMATURE_CLOSE)$/.test(e.code ?? '')) return true
  return e.name === 'TimeoutError' || e.name === 'ShortBody' || /aborted|socket hang up|premature close/i.test(e.message ?? '')
}

export async function downloadVerified(options: DownloadOptions): Promise<DownloadResult> {
  const { client, bucket, key, signal } = options
  const partSize = options.partSize ?? DEFAULT_PART_SIZE
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY)
  const retries = Math.max(1, options.retries ?? 5)
  const dest = path.resolve(options.dest)
  const partial = partialFile(dest)
  const where = `s3://${bucket}/${key}`
  const cancelled = () => new BuildError('CANCELLED', `Download of ${where} cancelled; run it again to resume`)
  if (signal?.aborted) throw cancelled()

  const head = await headObject(client, bucket, key, signal)
  const size = head.ContentLength ?? 0
  const etag = head.ETag ?? ''
  const expected = options.expectedSha256 ? options.expectedSha256.toLowerCase() : await publishedSha256(client, bucket, key, signal)
  if (!/^[a-f0-9]{64}$/.test(expected)) throw new BuildError('INVALID_INPUT', `Not a SHA256: ${options.expectedSha256}`)

  await mkdir(path.dirname(dest), { recursive: true })
  const { state, resumable } = await beginState(dest, { bucket, key, etag, size, sha256: expected })
  const resumedFrom = state.verified

  const handle: FileHandle = await open(partial, resumable ? 'r+' : 'w')
  const parts = planParts(resumedFrom, size, partSize)
  const meter = new SpeedMeter()
  const started = Date.now()
  let received = 0
  let lastReport = 0
  const report = (force = false) => {
    const now = Date.now()
    if (!force && now - lastReport < 200) return
    lastReport = now
    meter.add(now - started, received)
    const bytes = Math.min(size, resumedFrom + received)
    options.onProgress?.({ bytes, total: size, speed: meter.speed(), etaSeconds: bytes >= size ? 0 : meter.eta(size - bytes) })
  }
  const saver = new StateSaver(dest, state, () => handle.datasync())

  let hashFailure: Error | null = null
  let failure: unknown = null
  const controller = new AbortController()
  const stopped = () => failure !== null || controller.signal.aborted
  const scheduler = new ConnectionScheduler({
    partCount: parts.length,
    concurrency,
    window: concurrency + 4,
    nextToHash: () => hash.nextToHash,
    received: () => received,
    stopped,
    fetchPart: (index) => fetchPart(index),
    failed: (error) => fail(error),
  })
  const fail = (error: unknown) => {
    failure ??= error
    controller.abort()
    scheduler.wake()
  }

  // The verified offset: the parts before it are hashed and their writes are done.
  const writes = new Map<number, PartWrites>()
  let nextVerified = 0
  const advanceVerified = () => {
    while (nextVerified < hash.nextToHash && writes.get(nextVerified)!.done) {
      writes.delete(nextVerified)
      state.verified = parts[nextVerified++]!.end
    }
    saver.saveWhenDue()
  }
  const hash = new OrderedHash(resumedFrom, { partHashed: () => scheduler.wake(), advanced: advanceVerified })

  const fetchPart = async (index: number): Promise<void> => {
    const part = parts[index]!
    const length = part.end - part.start
    // After a failure the rest is not written, and its part never counts as verified.
    const mine = new PartWrites(handle, { stopped: () => failure !== null, written: advanceVerified, failed: fail })
    writes.set(index, mine)
    hash.start(index)
    let have = 0
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${part.start + have}-${part.end - 1}`, ...(etag && { IfMatch: etag }) }),
          { abortSignal: controller.signal },
        )
        // Stores that ignore If-Match still name the version they served.
        if (etag && response.ETag && response.ETag !== etag) throw new ObjectChanged(response.ETag)
        for await (const chunk of response.Body as AsyncIterable<Buffer>) {
          if (have + chunk.length > length) throw new BuildError('CLOUD_FAILED', `${where} sent more bytes than asked for bytes ${part.start}-${part.end - 1}`)
          hash.add(index, chunk)
          have += chunk.length
          received += chunk.length
          mine.add(chunk, part.start + have)
          if (mine.behind) await mine.writing
          report()
        }
        if (have !== length) throw Object.assign(new Error(`body ended after ${have} of ${length} bytes`), { name: 'ShortBody' })
        mine.finish(part.end)
        hash.received(index)
        return
      } catch (error) {
        if (controller.signal.aborted) throw failure ?? error
        if (error instanceof BuildError) throw error
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
        if (error instanceof ObjectChanged || status === 412) {
          throw new BuildError('CLOUD_FAILED', `${where} was replaced while it was being downloaded; run the download again to fetch the new object`, { s3Code: 'PreconditionFailed', changed: true })
        }
        if (!retryable(error) || attempt >= retries) {
          if (retryable(error)) {
            throw new BuildError(
              'DOWNLOAD_FAILED',
              `Download of ${where} was interrupted (${(error as Error).message}) after ${attempt} attempts at bytes ${part.start + have}-${part.end - 1}. Run it again to resume.`,
              { resumable: true },
            )
          }
          throw translateS3Error(error, { action: 'GetObject', bucket, key })
        }
        await sleep(Math.min(8000, 250 * 2 ** (attempt - 1)), undefined, { signal: controller.signal }).catch(() => {})
      }
    }
  }

  try {
    const stop = () => {
      controller.abort()
      scheduler.wake()
    }
    signal?.addEventListener('abort', stop, { once: true })
    const prefix = hash.hashPrefix(handle, controller.signal).catch((error: Error) => {
      hashFailure = error
      fail(error)
    })
    await scheduler.run()
    await prefix
    await Promise.all([...writes.values()].map((part) => part.writing.catch(() => {})))
    signal?.removeEventListener('abort', stop)

    if (hashFailure !== null) {
      await handle.close()
      await discardPartialDownload(dest)
      throw new BuildError('DOWNLOAD_FAILED', `Hashing the download of ${where} failed (${(hashFailure as Error).message}); its partial file was removed, run it again`)
    }
    if (failure !== null || signal?.aborted) {
      await saver.save()
      await handle.close()
      if (signal?.aborted) throw cancelled()
      if ((failure as BuildError).detail && ((failure as BuildError).detail as { changed?: boolean }).changed) await discardPartialDownload(dest)
      throw failure instanceof BuildError ? failure : translateS3Error(failure, { action: 'GetObject', bucket, key })
    }

    // No fsync before the rename: like every output of the builder, the finished file is as
    // durable as the page cache makes it; the SHA256 above is what vouches for its content.
    await saver.settled()
    await handle.close()
    report(true)
    const actual = hash.digest()
    if (actual !== expected) {
      await discardPartialDownload(dest)
      throw new BuildError('CHECKSUM_MISMATCH', `${where} does not match its SHA256: expected ${expected}, got ${actual}. Nothing was kept.`, { expected, actual, key })
    }
    await rename(partial, dest)
    await rm(stateFile(dest), { force: true })
    return { file: dest, sha256: actual, bytes: size, etag, resumedFrom }
  } catch (error) {
    await handle.close().catch(() => {})
    throw error
  }
}
