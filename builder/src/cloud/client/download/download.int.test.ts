/** Verified parallel downloads against a real s3rver, through a real TCP proxy that cuts connections. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startCuttingProxy, startS3, type CuttingProxy, type TestS3 } from '../../../testing/s3'
import { downloadVerified, type DownloadProgress } from './download'
import { partialFile, stateFile } from './resume-state'

const MiB = 1 << 20
let s3: TestS3
let proxy: CuttingProxy
let direct: S3Client
let viaProxy: S3Client
let dir: string
let data: Buffer
const sha = (buffer: Buffer) => createHash('sha256').update(buffer).digest('hex')

beforeAll(async () => {
  s3 = await startS3(['artifacts'])
  proxy = await startCuttingProxy(s3.port)
  direct = s3.client()
  // One attempt per request: the downloader's own part retries are what is under test.
  viaProxy = s3.client({ endpoint: proxy.endpoint, maxAttempts: 1 })
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-download-'))
  data = randomBytes(40 * MiB)
  await direct.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'builds/b1/image.img.xz', Body: data }))
  await direct.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'builds/b1/image.img.xz.sha256', Body: `${sha(data)}  image.img.xz\n` }))
})

afterAll(async () => {
  await proxy?.close()
  await s3?.close()
  await rm(dir, { recursive: true, force: true })
})

beforeEach(() => {
  proxy.up()
  proxy.requests.length = 0
})

const keyOf = (requestPath: string) => decodeURIComponent(requestPath.split('?')[0]!)
const objectRanges = () => proxy.requests.filter((r) => r.method === 'GET' && keyOf(r.path).endsWith('/image.img.xz')).map((r) => r.range)

describe('downloadVerified', () => {
  it('downloads a 40 MiB object in parallel parts, checked against the published .sha256', async () => {
    const dest = path.join(dir, 'plain', 'image.img.xz')
    const progress: DownloadProgress[] = []
    const result = await downloadVerified({ client: viaProxy, bucket: 'artifacts', key: 'builds/b1/image.img.xz', dest, onProgress: (p) => progress.push(p) })
    expect(result).toMatchObject({ sha256: sha(data), bytes: data.length, resumedFrom: 0 })
    expect(sha(await readFile(dest))).toBe(sha(data))
    // 5 parts of 8 MiB, each asked for by range; the checksum came from the .sha256 object.
    expect(objectRanges().sort()).toEqual([0, 1, 2, 3, 4].map((i) => `bytes=${i * 8 * MiB}-${(i + 1) * 8 * MiB - 1}`).sort())
    expect(proxy.requests.some((r) => keyOf(r.path).endsWith('/image.img.xz.sha256'))).toBe(true)
    expect(progress.at(-1)).toMatchObject({ bytes: data.length, total: data.length, etaSeconds: 0 })
    expect(progress.every((p, i) => i === 0 || p.bytes >= progress[i - 1]!.bytes)).toBe(true)
    expect(existsSync(partialFile(dest)) || existsSync(stateFile(dest))).toBe(false)
  })

  it('fetches a part again from its last byte when a connection is cut mid-body', async () => {
    const dest = path.join(dir, 'retry', 'image.img.xz')
    proxy.cutAfter(3 * MiB + 12345)
    const result = await downloadVerified({ client: viaProxy, bucket: 'artifacts', key: 'builds/b1/image.img.xz', expectedSha256: sha(data), dest, partSize: 4 * MiB, concurrency: 2 })
    expect(result.sha256).toBe(sha(data))
    expect(sha(await readFile(dest))).toBe(sha(data))
    // At least one range starts inside a part: the retry asked only for what was missing.
    const starts = objectRanges().map((range) => Number(/^bytes=(\d+)-/.exec(range!)![1]))
    expect(starts.some((start) => start % (4 * MiB) !== 0)).toBe(true)
  })

  it('resumes an interrupted download from the last verified byte', async () => {
    const dest = path.join(dir, 'resume', 'image.img.xz')
    proxy.cutAfter(14 * MiB, { thenDown: true })
    const first = downloadVerified({ client: viaProxy, bucket: 'artifacts', key: 'builds/b1/image.img.xz', dest, partSize: MiB, concurrency: 2, retries: 2 })
    await expect(first).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED', message: expect.stringContaining('Run it again to resume') })
    const state = JSON.parse(await readFile(stateFile(dest), 'utf8')) as { verified: number; etag: string }
    expect(state.verified).toBeGreaterThan(0)
    expect(state.verified % MiB).toBe(0)
    expect(existsSync(dest)).toBe(false)

    proxy.up()
    proxy.requests.length = 0
    const second = await downloadVerified({ client: viaProxy, bucket: 'artifacts', key: 'builds/b1/image.img.xz', dest, partSize: MiB, concurrency: 2 })
    expect(second.resumedFrom).toBe(state.verified)
    // The first ranged GET of the resumed download starts at the verified offset; nothing before it is fetched again.
    const starts = objectRanges().map((range) => Number(/^bytes=(\d+)-/.exec(range!)![1]))
    expect(objectRanges()[0]).toBe(`bytes=${state.verified}-${state.verified + MiB - 1}`)
    expect(Math.min(...starts)).toBe(state.verified)
    expect(second.sha256).toBe(sha(data))
    expect(sha(await readFile(dest))).toBe(sha(data))
    expect(existsSync(partialFile(dest)) || existsSync(stateFile(dest))).toBe(false)
  })

  it('starts over when the object changed since the interrupted download (ETag)', async () => {
    const key = 'builds/b2/image.img'
    const before = randomBytes(6 * MiB)
    const after = randomBytes(6 * MiB)
    await direct.send(new PutObjectCommand({ Bucket: 'artifacts', Key: key, Body: before }))
    const dest = path.join(dir, 'changed', 'image.img')
    proxy.cutAfter(3 * MiB, { thenDown: true })
    await expect(downloadVerified({ client: viaProxy, bucket: 'artifacts', key, expectedSha256: sha(before), dest, partSize: MiB, concurrency: 1, retries: 1 })).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
    })
    expect(JSON.parse(await readFile(stateFile(dest), 'utf8')).verified).toBeGreaterThan(0)
    await direct.send(new PutObjectCommand({ Bucket: 'artifacts', Key: key, Body: after }))
    proxy.up()
    proxy.requests.length = 0
    const result = await downloadVerified({ client: viaProxy, bucket: 'artifacts', key, expectedSha256: sha(after), dest, partSize: MiB, concurrency: 2 })
    expect(result.resumedFrom).toBe(0)
    expect(proxy.requests.filter((r) => r.method === 'GET').map((r) => r.range)).toContain(`bytes=0-${MiB - 1}`)
    expect(sha(await readFile(dest))).toBe(sha(after))
  })

  it('keeps nothing when the object in the bucket does not match its published SHA256', async () => {
    const key = 'builds/b3/image.img.xz'
    const good = randomBytes(10 * MiB)
    await direct.send(new PutObjectCommand({ Bucket: 'artifacts', Key: key, Body: good }))
    await direct.send(new PutObjectCommand({ Bucket: 'artifacts', Key: `${key}.sha256`, Body: `${sha(good)}  image.img.xz\n` }))
    const corrupted = Buffer.from(good)
    corrupted[7 * MiB + 3]! ^= 0x40
    await direct.send(new PutObjectCommand({ Bucket: 'artifacts', Key: key, Body: corrupted }))
    const folder = path.join(dir, 'corrupt')
    const dest = path.join(folder, 'image.img.xz')
    await expect(downloadVerified({ client: direct, bucket: 'artifacts', key, dest, partSize: 2 * MiB })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      detail: { expected: sha(good), actual: sha(corrupted) },
    })
    expect(await readdir(folder)).toEqual([])
  })

  it('stops on cancel, keeping the verified prefix to resume from', async () => {
    const dest = path.join(dir, 'cancel', 'image.img.xz')
    const controller = new AbortController()
    const download = downloadVerified({
      client: direct,
      bucket: 'artifacts',
      key: 'builds/b1/image.img.xz',
      dest,
      partSize: MiB,
      concurrency: 2,
      signal: controller.signal,
      onProgress: (p) => p.bytes > 10 * MiB && controller.abort(),
    })
    await expect(download).rejects.toMatchObject({ code: 'CANCELLED' })
    const { verified } = JSON.parse(await readFile(stateFile(dest), 'utf8')) as { verified: number }
    expect(verified).toBeGreaterThan(0)
    const resumed = await downloadVerified({ client: direct, bucket: 'artifacts', key: 'builds/b1/image.img.xz', dest, partSize: MiB })
    expect(resumed.resumedFrom).toBe(verified)
    expect(sha(await readFile(dest))).toBe(sha(data))
  })

  it('names a missing object, a missing checksum and a missing bucket', async () => {
    const dest = path.join(dir, 'missing', 'x')
    await expect(downloadVerified({ client: direct, bucket: 'artifacts', key: 'builds/none/image.img', expectedSha256: 'a'.repeat(64), dest })).rejects.toMatchObject({
      code: 'CLOUD_NOT_FOUND',
      message: 's3://artifacts/builds/none/image.img does not exist.',
      detail: { missing: 'key' },
    })
    await direct.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'builds/b4/unpublished.img', Body: 'x' }))
    await expect(downloadVerified({ client: direct, bucket: 'artifacts', key: 'builds/b4/unpublished.img', dest })).rejects.toMatchObject({
      code: 'CLOUD_NOT_FOUND',
      message: expect.stringContaining('s3://artifacts/builds/b4/unpublished.img.sha256 does not exist'),
    })
    await expect(downloadVerified({ client: direct, bucket: 'no-such-bucket', key: 'image.img', expectedSha256: 'a'.repeat(64), dest })).rejects.toMatchObject({
      code: 'CLOUD_NOT_FOUND',
      message: expect.stringContaining('The bucket no-such-bucket does not exist'),
      detail: { missing: 'bucket' },
    })
    expect(existsSync(path.dirname(dest)) ? await readdir(path.dirname(dest)) : []).toEqual([])
  })
})
