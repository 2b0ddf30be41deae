/**
 * Verified, parallel, resumable download of one S3 object.
 *
 * Parts (8 MiB by default) are fetched with ranged GETs, several at once, and written with
 * positional writes into `<dest>.partial`. The SHA256 is computed in object order as the
 * contiguous prefix of finished parts grows, in a worker thread that reads the parts from
 * shared buffers; parts that finish early wait in their buffer until the parts before them
 * are in (the buffers are few, so memory stays bounded: (concurrency + 4) × part size).
 * A part cut off mid-body is fetched again from its last received byte.
 *
 * Resume: `<dest>.partial.json` records the object (bucket, key, ETag, size, expected
 * SHA256) and the verified offset: the prefix that is written, flushed and hashed. Node's
 * Hash state cannot be saved, so a resumed download hashes that prefix again from disk
 * (a local read, far faster than the download) and fetches from the verified offset on.
 * A different ETag (the object was replaced) starts over. The file takes its real name
 * only when the whole SHA256 matches; on a mismatch nothing is kept.
 */
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import { z } from 'zod'
import { BuildError } from '../errors'
import { s3Call, translateS3Error } from './s3'

export const DEFAULT_PART_SIZE = 8 << 20
export const DEFAULT_CONCURRENCY = 6
/** How often the resume state is saved (after flushing the data it vouches for). */
const SAVE_INTERVAL_MS = 5000

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
  /** Ranged GETs in flight; default 6. Memory: (concurrency + 4) × partSize. */
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

const StateSchema = z.object({
  format: z.literal(1),
  bucket: z.string(),
  key: z.string(),
  etag: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  verified: z.number().int().nonnegative(),
})
type DownloadState = z.infer<typeof StateSchema>

export const partialFile = (dest: string) => `${path.resolve(dest)}.partial`
export const stateFile = (dest: string) => `${path.resolve(dest)}.partial.json`

/** Removes what an interrupted download kept for resuming. */
export async function discardPartialDownload(dest: string): Promise<void> {
  await Promise.all([rm(partialFile(dest), { force: true }), rm(stateFile(dest), { force: true })])
}

export interface Part {
  start: number
  /** Exclusive. */
  end: number
}

/** Pure: the parts from `start` to `size`. */
export function planParts(start: number, size: number, partSize: number): Part[] {
  if (!(partSize > 0)) throw new BuildError('INVALID_INPUT', `Part size must be positive, not ${partSize}`)
  const parts: Part[] = []
  for (let offset = start; offset < size; offset += partSize) parts.push({ start: offset, end: Math.min(size, offset + partSize) })
  return parts
}

/** Pure: the SHA256 in a `.sha256` file (`<hex>  <name>` as sha256sum writes it, or the bare hex). */
export function parseChecksumFile(text: string): string | null {
  const first = text.trim().split(/\s+/)[0] ?? ''
  return /^[a-fA-F0-9]{64}$/.test(first) ? first.toLowerCase() : null
}

/** Speed over a sliding window of samples; pure apart from the times it is given. */
export class SpeedMeter {
  private readonly samples: { time: number; bytes: number }[] = []
  constructor(private readonly windowMs = 3000) {}

  /** `bytes`: the running total received; `time`: ms. */
  add(time: number, bytes: number): void {
    this.samples.push({ time, bytes })
    while (this.samples.length > 2 && this.samples[1]!.time <= time - this.windowMs) this.samples.shift()
  }

  /** Bytes per second, 0 until two samples are some time apart. */
  speed(): number {
    const first = this.samples[0]
    const last = this.samples.at(-1)
    if (!first || !last || last.time - first.time < 50) return 0
    return ((last.bytes - first.bytes) * 1000) / (last.time - first.time)
  }

  eta(remaining: number): number | null {
    const speed = this.speed()
    return speed > 0 ? remaining / speed : null
  }
}

async function readState(dest: string): Promise<DownloadState | null> {
  const text = await readFile(stateFile(dest), 'utf8').catch(() => null)
  if (text === null) return null
  try {
    const parsed = StateSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

async function writeState(dest: string, state: DownloadState): Promise<void> {
  const temp = `${stateFile(dest)}.${randomUUID()}.tmp`
  await writeFile(temp, JSON.stringify(state))
  await rename(temp, stateFile(dest))
}

/** The expected SHA256 from `<key>.sha256`. */
async function publishedSha256(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<string> {
  const checksumKey = `${key}.sha256`
  const response = await s3Call(client, { action: 'GetObject', bucket, key: checksumKey }, () =>
    client.send(new GetObjectCommand({ Bucket: bucket, Key: checksumKey }), { abortSignal: signal }),
  ).catch((error: unknown) => {
    if (error instanceof BuildError && error.code === 'CLOUD_NOT_FOUND' && (error.detail as { missing?: string }).missing === 'key') {
      throw new BuildError('CLOUD_NOT_FOUND', `No published checksum for s3://${bucket}/${key}: s3://${bucket}/${checksumKey} does not exist. Give the expected SHA256 instead.`, error.detail)
    }
    throw error
  })
  const text = await response.Body!.transformToString()
  const sha256 = parseChecksumFile(text)
  if (!sha256) throw new BuildError('CLOUD_FAILED', `s3://${bucket}/${checksumKey} does not hold a SHA256`)
  return sha256
}

/** HeadObject's 404 has no body: ask for the bucket to tell "no such bucket" from "no such key". */
async function headObject(client: S3Client, bucket: string, key: string, signal?: AbortSignal) {
  try {
    return await s3Call(client, { action: 'HeadObject', bucket, key }, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }))
  } catch (error) {
    if (error instanceof BuildError && error.code === 'CLOUD_NOT_FOUND') {
      await s3Call(client, { action: 'HeadBucket', bucket }, () => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }))
    }
    throw error
  }
}

// The SHA256 runs in a worker thread. Parts live in a fixed set of shared buffers (slots)
// that both threads see: a slot holds a part from its first byte until the worker has
// hashed it, then takes the next part. No per-part allocation, no copy to the worker, and
// the slot count bounds the memory a download uses.
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { openSync, readSync, closeSync } = require('node:fs')
const hash = createHash('sha256')
const slots = workerData.slots.map((shared) => new Uint8Array(shared))
parentPort.on('message', (message) => {
  try {
    if (message.type === 'slot') {
      hash.update(slots[message.slot].subarray(0, message.length))
      parentPort.postMessage({ hashed: message.slot })
    } else if (message.type === 'file') {
      const fd = openSync(message.path, 'r')
      try {
        const buffer = Buffer.allocUnsafe(4 << 20)
        for (let offset = 0; offset < message.length; ) {
          const n = readSync(fd, buffer, 0, Math.min(buffer.length, message.length - offset), offset)
          if (n === 0) throw new Error('the partial file is shorter than its recorded prefix')
          hash.update(buffer.subarray(0, n))
          offset += n
        }
      } finally {
        closeSync(fd)
      }
    } else if (message.type === 'digest') parentPort.postMessage({ digest: hash.digest('hex') })
  } catch (error) {
    parentPort.postMessage({ error: error.message })
  }
})
`

class HashWorker {
  private readonly slots: Buffer[]
  private readonly free: number[]
  private readonly holds: number[]
  private readonly worker: Worker
  private readonly waiting: (() => void)[] = []
  private failure: Error | null = null
  private pending: { resolve: (digest: string) => void; reject: (error: Error) => void } | null = null

  constructor(slotCount: number, slotSize: number) {
    const shared = Array.from({ length: slotCount }, () => new SharedArrayBuffer(slotSize))
    this.slots = shared.map((buffer) => Buffer.from(buffer))
    this.free = shared.map((_, index) => index)
    this.holds = shared.map(() => 0)
    this.worker = new Worker(HASH_WORKER, { eval: true, workerData: { slots: shared } })
    const fail = (error: Error) => {
      this.failure ??= error
      this.pending?.reject(error)
      this.pending = null
      this.wake()
    }
    this.worker.on('message', (message: { hashed?: number; digest?: string; error?: string }) => {
      if (message.hashed !== undefined) this.release(message.hashed)
      else if (message.error !== undefined) fail(new Error(message.error))
      else if (message.digest !== undefined) this.pending?.resolve(message.digest)
    })
    this.worker.on('error', fail)
  }

  /** A free slot, waiting for one while all hold parts; null once `stopped()` says so. */
  async acquire(stopped: () => boolean): Promise<{ slot: number; buffer: Buffer } | null> {
    for (;;) {
      if (stopped() || this.failure) return null
      const slot = this.free.pop()
      if (slot !== undefined) {
        this.holds[slot] = 2 // freed by the hash and by the write
        return { slot, buffer: this.slots[slot]! }
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    }
  }

  /** One holder of the slot is done with it; the last one frees it. */
  release(slot: number): void {
    if (--this.holds[slot]! > 0) return
    this.free.push(slot)
    this.wake()
  }

  /** Wakes everything waiting for a slot (to take one, or to see that the download stopped). */
  wake(): void {
    this.waiting.splice(0).forEach((resolve) => resolve())
  }

  /** Hashes the first `length` bytes of a slot next, then frees it. */
  update(slot: number, length: number): void {
    this.worker.postMessage({ type: 'slot', slot, length })
  }

  /** Hashes [0, length) of a file (the kept prefix of a resumed download). */
  file(file: string, length: number): void {
    if (length > 0) this.worker.postMessage({ type: 'file', path: file, length })
  }

  digest(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.worker.postMessage({ type: 'digest' })
    })
  }

  async close(): Promise<void> {
    this.wake()
    await this.worker.terminate()
  }
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

  // Resume only the same object towards the same hash, from a prefix the partial file still has.
  await mkdir(path.dirname(dest), { recursive: true })
  const previous = await readState(dest)
  const partialSize = await stat(partial).then((s) => s.size, () => -1)
  const resumable =
    previous !== null && previous.bucket === bucket && previous.key === key && previous.etag === etag && previous.size === size && previous.sha256 === expected && partialSize >= previous.verified
  if (!resumable) await discardPartialDownload(dest)
  const resumedFrom = resumable ? previous.verified : 0
  const state: DownloadState = { format: 1, bucket, key, etag, size, sha256: expected, verified: resumedFrom }
  await writeState(dest, state)

  const handle: FileHandle = await open(partial, resumable ? 'r+' : 'w')
  const parts = planParts(resumedFrom, size, partSize)
  // A slot per connection, and a few for parts that finished early or wait to be hashed.
  const hash = new HashWorker(Math.max(1, Math.min(concurrency + 4, parts.length)), Math.min(partSize, Math.max(1, size)))
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

  // Saving the state: flush the data first, so a recorded offset is always on disk. One at a time.
  let saving: Promise<void> = Promise.resolve()
  let lastSave = Date.now()
  const save = () => {
    const snapshot = { ...state }
    // Best effort: a state that could not be saved leaves the previous one, an earlier offset.
    saving = saving
      .then(async () => {
        await handle.datasync()
        await writeState(dest, snapshot)
      })
      .catch(() => {})
    return saving
  }

  try {
    hash.file(partial, resumedFrom)
    const slotOf = new Map<number, number>()
    let nextToStart = 0
    let nextToHash = 0
    let failure: unknown = null
    const controller = new AbortController()
    const stop = () => controller.abort()
    signal?.addEventListener('abort', stop, { once: true })

    const fetchPart = async (part: Part, buffer: Buffer): Promise<void> => {
      const length = part.end - part.start
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
            chunk.copy(buffer, have)
            have += chunk.length
            received += chunk.length
            report()
          }
          if (have !== length) throw Object.assign(new Error(`body ended after ${have} of ${length} bytes`), { name: 'ShortBody' })
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

    // A fetched part is written (positional, in the thread pool) and hashed (in order, in the
    // worker) at the same time, while its connection already fetches the next part. Its slot
    // frees when both are done; the verified offset is the contiguous prefix written.
    const fetched = new Set<number>()
    const written = new Set<number>()
    let nextWritten = 0
    const writes = new Set<Promise<void>>()
    const writePart = async (index: number, slot: number, buffer: Buffer) => {
      const part = parts[index]!
      const length = part.end - part.start
      let done = 0
      while (done < length) done += (await handle.write(buffer, done, length - done, part.start + done)).bytesWritten
      hash.release(slot)
      written.add(index)
      while (written.has(nextWritten)) {
        written.delete(nextWritten)
        state.verified = parts[nextWritten]!.end
        nextWritten++
      }
      if (Date.now() - lastSave >= SAVE_INTERVAL_MS) {
        lastSave = Date.now()
        void save()
      }
    }
    const worker = async () => {
      while (failure === null && nextToStart < parts.length) {
        // Parts start in order, each with a slot; a slot frees once its part is hashed and
        // written, and the part every later one waits for already holds one: no deadlock.
        const taken = await hash.acquire(() => failure !== null || nextToStart >= parts.length)
        if (!taken) break
        const index = nextToStart++
        slotOf.set(index, taken.slot)
        await fetchPart(parts[index]!, taken.buffer)
        const write = writePart(index, taken.slot, taken.buffer).catch((error: unknown) => {
          failure ??= error
          controller.abort()
          hash.wake()
        })
        writes.add(write)
        void write.finally(() => writes.delete(write))
        fetched.add(index)
        while (fetched.has(nextToHash)) {
          fetched.delete(nextToHash)
          const done = parts[nextToHash]!
          hash.update(slotOf.get(nextToHash)!, done.end - done.start)
          slotOf.delete(nextToHash)
          nextToHash++
        }
      }
    }
    const workers = Array.from({ length: Math.min(concurrency, parts.length) }, () =>
      worker().catch((error: unknown) => {
        failure ??= error
        controller.abort()
        hash.wake()
      }),
    )
    await Promise.all(workers)
    await Promise.all(writes)
    signal?.removeEventListener('abort', stop)

    if (failure !== null || signal?.aborted) {
      await save()
      await handle.close()
      if (signal?.aborted) throw cancelled()
      if ((failure as BuildError).detail && ((failure as BuildError).detail as { changed?: boolean }).changed) await discardPartialDownload(dest)
      throw failure instanceof BuildError ? failure : translateS3Error(failure, { action: 'GetObject', bucket, key })
    }

    // No fsync before the rename: like every output of the builder, the finished file is as
    // durable as the page cache makes it; the SHA256 above is what vouches for its content.
    await saving
    await handle.close()
    report(true)
    const actual = await hash.digest().catch(async (error: Error) => {
      await discardPartialDownload(dest)
      throw new BuildError('DOWNLOAD_FAILED', `Hashing the download of ${where} failed (${error.message}); its partial file was removed, run it again`)
    })
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
  } finally {
    await hash.close()
  }
}
