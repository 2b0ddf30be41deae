/**
 * Verified, parallel, resumable download of one S3 object.
 *
 * Parts (8 MiB by default) are fetched with ranged GETs, several at once (two at first, more
 * while that raises the speed), and their chunks are written as they arrive with positional
 * writes into `<dest>.partial`. The SHA256 is computed in object order in the main thread:
 * chunks of the next part in order are hashed as they arrive, chunks of later parts are held
 * until the parts before them are in. Parts start only within a window past the next part
 * to hash, so memory stays bounded: (concurrency + 4) × part size at most.
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
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { BuildError } from '../../util/errors'
import { s3Call, translateS3Error } from '../s3'

export const DEFAULT_PART_SIZE = 8 << 20
export const DEFAULT_CONCURRENCY = 6
/** How often the resume state is saved (after flushing the data it vouches for). */
const SAVE_INTERVAL_MS = 5000
/** Writes go out in batches of this many bytes; a part with more than WRITE_AHEAD being written waits. */
const WRITE_BATCH = 1 << 20
const WRITE_AHEAD = 8 << 20
/** How long a number of connections runs before its speed decides whether to add one. */
const GROW_AFTER_MS = 1000

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

/** Writes `chunks` at `position`, all of them (writev may write less than asked). */
async function writeAt(handle: FileHandle, chunks: Buffer[], position: number): Promise<void> {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
  let done = (await handle.writev(chunks, position)).bytesWritten
  if (done === total) return
  const all = Buffer.concat(chunks)
  while (done < total) done += (await handle.write(all, done, total - done, position + done)).bytesWritten
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

  // Chunks are hashed in the main thread as they arrive when their part is next in object
  // order (cheaper than a worker: no copies, no messages); a part ahead of that keeps its
  // chunks until the parts before it are in. Parts start only within a window past the next
  // part to hash, which bounds that memory.
  const hash = createHash('sha256')
  const window = concurrency + 4
  interface Live {
    received: boolean
    /** What arrived while the part was not next in order (kept as is: copying costs more). */
    held: Buffer[]
    /** Chunks waiting to be written, and the part's writes so far (one after another). */
    unwritten: Buffer[]
    unwrittenBytes: number
    writing: Promise<void>
    writingBytes: number
  }
  const live = new Map<number, Live>()
  let nextToHash = 0
  let nextVerified = 0
  // A resumed download hashes its kept prefix (from disk) before any part.
  let prefixHashed = resumedFrom === 0
  let hashFailure: Error | null = null
  let failure: unknown = null
  const controller = new AbortController()
  const waiting: (() => void)[] = []
  const wake = () => waiting.splice(0).forEach((resolve) => resolve())
  const fail = (error: unknown) => {
    failure ??= error
    controller.abort()
    wake()
  }

  // The verified offset: the parts before it are hashed and their writes are done.
  const advanceVerified = () => {
    while (nextVerified < nextToHash && live.get(nextVerified)!.writingBytes === 0 && live.get(nextVerified)!.unwrittenBytes === 0) {
      live.delete(nextVerified)
      state.verified = parts[nextVerified++]!.end
    }
    if (Date.now() - lastSave >= SAVE_INTERVAL_MS) {
      lastSave = Date.now()
      void save()
    }
  }
  const advanceHash = () => {
    if (!prefixHashed) return
    for (let next = live.get(nextToHash); next; next = live.get(nextToHash)) {
      for (const chunk of next.held.splice(0)) hash.update(chunk)
      if (!next.received) break // its next chunks go straight into the hash
      nextToHash++
      wake()
    }
    advanceVerified()
  }
  // Writes go out in batches (one writev per MiB or so), each part's one after another.
  const flush = (from: Live, position: number) => {
    const chunks = from.unwritten.splice(0)
    const bytes = from.unwrittenBytes
    from.unwrittenBytes = 0
    from.writingBytes += bytes
    // After a failure the rest is not written, and its part never counts as verified.
    from.writing = from.writing.then(async () => {
      if (failure !== null) return
      await writeAt(handle, chunks, position)
      from.writingBytes -= bytes
      advanceVerified()
    })
    from.writing.catch(fail)
  }

  const fetchPart = async (index: number): Promise<void> => {
    const part = parts[index]!
    const length = part.end - part.start
    const mine: Live = { received: false, held: [], unwritten: [], unwrittenBytes: 0, writing: Promise.resolve(), writingBytes: 0 }
    live.set(index, mine)
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
          if (prefixHashed && index === nextToHash) hash.update(chunk)
          else mine.held.push(chunk)
          mine.unwritten.push(chunk)
          mine.unwrittenBytes += chunk.length
          have += chunk.length
          received += chunk.length
          if (mine.unwrittenBytes >= WRITE_BATCH) flush(mine, part.start + have - mine.unwrittenBytes)
          // A disk slower than the network holds the connection back, not the memory.
          if (mine.writingBytes >= WRITE_AHEAD) await mine.writing
          report()
        }
        if (have !== length) throw Object.assign(new Error(`body ended after ${have} of ${length} bytes`), { name: 'ShortBody' })
        if (mine.unwrittenBytes > 0) flush(mine, part.end - mine.unwrittenBytes)
        mine.received = true
        advanceHash()
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

  const hashPrefix = async () => {
    const buffer = Buffer.allocUnsafe(4 << 20)
    for (let offset = 0; offset < resumedFrom && !controller.signal.aborted; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, resumedFrom - offset), offset)
      if (bytesRead === 0) throw new Error('the partial file is shorter than its recorded prefix')
      hash.update(buffer.subarray(0, bytesRead))
      offset += bytesRead
    }
    if (controller.signal.aborted) return
    prefixHashed = true
    advanceHash()
  }

  try {
    const stop = () => {
      controller.abort()
      wake()
    }
    signal?.addEventListener('abort', stop, { once: true })
    const prefix = hashPrefix().catch((error: Error) => {
      hashFailure = error
      fail(error)
    })
    // Two connections first, then one more while the last one added raised the aggregate speed
    // by a tenth: S3 gives some 50-100 MB/s per connection, so more pay off there, while a
    // server that is local or busy gains nothing from them and pays for each (the one that
    // did not help leaves again). Each number of connections runs a second before it is
    // judged, long enough for a new connection's TCP slow start.
    let nextToStart = 0
    let wanted = Math.min(2, concurrency)
    let running = 0
    const connections: Promise<void>[] = []
    const connection = async () => {
      while (failure === null && !controller.signal.aborted && nextToStart < parts.length && running <= wanted) {
        // Parts start in order, and only within the window: the part the others wait for has started.
        if (nextToStart >= nextToHash + window) {
          await new Promise<void>((resolve) => waiting.push(resolve))
          continue
        }
        await fetchPart(nextToStart++)
        grow()
      }
      running--
    }
    const connect = () => {
      running++
      connections.push(connection().catch(fail))
    }
    let trial = { since: Date.now(), bytes: 0, speed: 0 }
    let growing = true
    const grow = () => {
      const elapsed = Date.now() - trial.since
      if (!growing || elapsed < GROW_AFTER_MS || nextToStart >= parts.length) return
      const speed = (received - trial.bytes) / elapsed
      if (speed < trial.speed * 1.1) {
        growing = false
        wanted = Math.max(1, running - 1)
        return
      }
      trial = { since: Date.now(), bytes: received, speed }
      if (running >= concurrency) growing = false
      else {
        wanted++
        connect()
      }
    }
    for (let i = 0; i < Math.min(wanted, parts.length); i++) connect()
    // Connections may be added while these are awaited.
    for (let i = 0; i < connections.length; i++) await connections[i]
    await prefix
    await Promise.all([...live.values()].map((part) => part.writing.catch(() => {})))
    signal?.removeEventListener('abort', stop)

    if (hashFailure !== null) {
      await handle.close()
      await discardPartialDownload(dest)
      throw new BuildError('DOWNLOAD_FAILED', `Hashing the download of ${where} failed (${(hashFailure as Error).message}); its partial file was removed, run it again`)
    }
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
    const actual = hash.digest('hex')
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
