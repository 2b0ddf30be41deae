/**
 * Gets the recipe's source as a verified raw disk image. Downloads stream to a temp file
 * while hashing; only a file whose SHA256 matches is renamed into the cache, keyed by that
 * hash. Cached sources are reused and never modified (builds open them read-only).
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { BuildError } from '../util/errors'
import { sha256File } from '../util/hash'
import { cacheDir } from '../util/paths'
import { removeStaleTemps, tempName, writeFileAtomic } from '../util/temp'
import type { Recipe } from '../recipe/schema'
import { decompress, sniffFormat } from './decompress'

export interface SourceProgress {
  phase: 'download' | 'verify' | 'decompress'
  bytes: number
  total: number | null
}

export interface ResolveOptions {
  cache?: string
  onProgress?: (progress: SourceProgress) => void
  signal?: AbortSignal
}

export interface ResolvedSource {
  /** The raw disk image to build from (read-only). */
  image: string
  sha256: string
  /** Where it came from, for build info. */
  origin: string
}

export async function resolveSource(source: Recipe['source'], baseDir: string, options: ResolveOptions = {}): Promise<ResolvedSource> {
  const cache = options.cache ?? cacheDir()
  const expected = source.sha256.toLowerCase()
  const origin = source.url ?? path.resolve(baseDir, source.path!)
  const verified = source.url
    ? await fetchVerified(source.url, expected, cache, options)
    : await verifyLocal(origin, expected, cache, options)
  const image = await rawImage(verified, expected, source.extractSha256?.toLowerCase(), cache, options)
  return { image, sha256: expected, origin }
}

function mismatch(what: string, expected: string, actual: string): BuildError {
  return new BuildError('CHECKSUM_MISMATCH', `SHA256 mismatch for ${what}: expected ${expected}, got ${actual}`, { expected, actual })
}

/** Hashes bytes as they pass, reporting progress. */
function hashing(hash: ReturnType<typeof createHash>, onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      onBytes(chunk.length)
      callback(null, chunk)
    },
  })
}


// --- local files: hashed once, then remembered by (path, size, mtime, inode) ---

async function verifyLocal(file: string, expected: string, cache: string, options: ResolveOptions): Promise<string> {
  const info = await stat(file).catch(() => null)
  if (!info?.isFile()) throw new BuildError('NOT_FOUND', `Source file not found: ${file}`)
  const key = `${await realpath(file)}|${info.size}|${info.mtimeMs}|${info.ino}`
  const indexFile = path.join(cache, 'verified.json')
  const index = JSON.parse(await readFile(indexFile, 'utf8').catch(() => '{}')) as Record<string, string>
  if (index[key] === expected) return file

  let bytes = 0
  const actual = await sha256File(file, {
    signal: options.signal,
    onBytes: (n) => {
      bytes += n // not inside the optional call below: its arguments are skipped when there is no listener
      options.onProgress?.({ phase: 'verify', bytes, total: info.size })
    },
  })
  if (actual !== expected) throw mismatch(file, expected, actual)
  index[key] = actual
  await mkdir(cache, { recursive: true })
  await writeFile(`${indexFile}.tmp`, JSON.stringify(index))
  await rename(`${indexFile}.tmp`, indexFile)
  return file
}

// --- downloads: straight into the cache only when the hash matches ---

async function fetchVerified(url: string, expected: string, cache: string, options: ResolveOptions): Promise<string> {
  const sources = path.join(cache, 'sources')
  await mkdir(sources, { recursive: true })
  const cached = (await readdir(sources)).find((name) => name.startsWith(expected))
  if (cached) return path.join(sources, cached)

  const { body, total } = url.startsWith('s3://') ? await s3Body(url) : await httpBody(url, options.signal)
  await removeStaleTemps(sources, '.download-', { suffix: '.partial' }) // what a killed download left
  const partial = path.join(sources, tempName('.download-', '.partial'))
  const hash = createHash('sha256')
  let bytes = 0
  try {
    await pipeline(
      body,
      hashing(hash, (n) => {
        bytes += n
        options.onProgress?.({ phase: 'download', bytes, total })
      }),
      createWriteStream(partial),
      { signal: options.signal },
    )
    if (total !== null && bytes !== total) throw new BuildError('DOWNLOAD_FAILED', `Download of ${url} ended after ${bytes} of ${total} bytes`)
    const actual = hash.digest('hex')
    if (actual !== expected) throw mismatch(url, expected, actual)
    const target = path.join(sources, `${expected}${extensionOf(url)}`)
    await rename(partial, target)
    return target
  } catch (error) {
    await rm(partial, { force: true })
    if (error instanceof BuildError) throw error
    if ((error as Error).name === 'AbortError') throw new BuildError('CANCELLED', 'Download cancelled')
    throw new BuildError('DOWNLOAD_FAILED', `Download of ${url} failed: ${(error as Error).message}`)
  }
}

function extensionOf(url: string): string {
  const name = new URL(url).pathname.split('/').pop() ?? ''
  return /(\.img)?(\.xz|\.gz|\.zip)?$/i.exec(name)?.[0]?.toLowerCase() ?? ''
}

async function httpBody(url: string, signal?: AbortSignal): Promise<{ body: Readable; total: number | null }> {
  let response: Response
  try {
    response = await fetch(url, { signal: signal ?? null, redirect: 'follow' })
  } catch (error) {
    if (signal?.aborted) throw new BuildError('CANCELLED', 'Download cancelled')
    throw new BuildError('DOWNLOAD_FAILED', `Cannot reach ${url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`)
  }
  if (!response.ok || !response.body) throw new BuildError('DOWNLOAD_FAILED', `GET ${url} answered ${response.status} ${response.statusText}`)
  const length = response.headers.get('content-length')
  return { body: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), total: length ? Number(length) : null }
}

/** s3://bucket/key through the AWS default credential chain; `AWS_ENDPOINT_URL_S3` for S3-compatible stores. */
async function s3Body(url: string): Promise<{ body: Readable; total: number | null }> {
  const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3')
  const { hostname: bucket, pathname } = new URL(url)
  const client = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3), responseChecksumValidation: 'WHEN_REQUIRED' })
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: decodeURIComponent(pathname.slice(1)) }))
    return { body: object.Body as Readable, total: object.ContentLength ?? null }
  } catch (error) {
    throw new BuildError('DOWNLOAD_FAILED', `Cannot get ${url}: ${(error as Error).name}: ${(error as Error).message}`)
  }
}

// --- a raw image from whatever the verified source is ---

/**
 * `extractSha256` (the catalog's `extract_sha256`) is checked as the image is decompressed;
 * a cached image is checked once against it and the verdict kept beside it
 * (`<sha256>.img.sha256`), so the check costs one read per image, not per build.
 */
async function rawImage(verified: string, sha256: string, extractSha256: string | undefined, cache: string, options: ResolveOptions): Promise<string> {
  const format = await sniffFormat(verified)
  if (format === 'img') {
    if (extractSha256 && extractSha256 !== sha256) throw mismatch(`the image ${verified} (not compressed, so its SHA256 is the source's)`, extractSha256, sha256)
    return verified
  }
  if (format === 'unknown') {
    throw new BuildError('INVALID_SOURCE', `${verified} is neither a disk image nor a .xz, .gz or .zip archive of one`)
  }
  const images = path.join(cache, 'images')
  const target = path.join(images, `${sha256}.img`)
  if (await stat(target).then((s) => s.isFile(), () => false)) {
    if (extractSha256) await checkCachedImage(target, extractSha256, options)
    return target
  }
  await mkdir(images, { recursive: true })
  options.onProgress?.({ phase: 'decompress', bytes: 0, total: null })
  await decompress(verified, format, target, undefined, extractSha256)
  if (extractSha256) await writeFileAtomic(`${target}.sha256`, extractSha256)
  if ((await sniffFormat(target)) !== 'img') {
    await rm(target, { force: true })
    throw new BuildError('INVALID_SOURCE', `${verified} decompresses to something that is not a disk image (no partition table)`)
  }
  return target
}

async function checkCachedImage(image: string, expected: string, options: ResolveOptions): Promise<void> {
  const known = await readFile(`${image}.sha256`, 'utf8').catch(() => null)
  if (known === expected) return
  let actual = known
  if (actual === null) {
    const total = (await stat(image)).size
    let bytes = 0
    actual = await sha256File(image, {
      signal: options.signal,
      onBytes: (n) => {
        bytes += n
        options.onProgress?.({ phase: 'verify', bytes, total })
      },
    })
    await writeFileAtomic(`${image}.sha256`, actual)
  }
  if (actual !== expected) throw mismatch(`the image inside the source (${image})`, expected, actual)
}
