/**
 * Turns a verified source (.img, .img.xz, .img.gz, .zip) into a raw disk image, by its
 * magic bytes rather than its name. Uses multithreaded `xz` when installed, with a
 * JavaScript fallback everywhere; output goes to a temp file renamed into place, with holes
 * where the image has blocks of zeros (its free space is not written).
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import yauzl from 'yauzl'
import { BuildError } from '../util/errors'
import { CommandError, startCommand } from '../util/process'
import { sparseFileStream } from '../util/sparse-file'
import { removeStaleTemps, tempName } from '../util/temp'
import { findExecutable, loadLzma } from '../util/tools'

export type SourceFormat = 'img' | 'xz' | 'gz' | 'zip' | 'unknown'

export async function sniffFormat(file: string): Promise<SourceFormat> {
  const handle = await open(file, 'r')
  try {
    const head = Buffer.alloc(512)
    const { bytesRead } = await handle.read(head, 0, 512, 0)
    if (bytesRead >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz'
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gz'
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip'
    if (bytesRead === 512 && head.readUInt16LE(510) === 0xaa55) return 'img'
    return 'unknown'
  } finally {
    await handle.close()
  }
}

/**
 * Decompresses `source` to `target` (via a temp file); `target` exists only if it all worked.
 * `onData` sees every decompressed chunk in order (to hash the image on the way; a chunk's
 * memory may be reused once it returns). With
 * `expectedSha256` (the catalog's `extract_sha256`) the image is hashed on the way and a
 * mismatch is CHECKSUM_MISMATCH before anything is renamed into place.
 */
export async function decompress(
  source: string,
  format: Exclude<SourceFormat, 'img' | 'unknown'>,
  target: string,
  onData?: (chunk: Buffer) => void,
  expectedSha256?: string,
): Promise<void> {
  // Beside the target (renamed into place); what a killed run left there goes first.
  await removeStaleTemps(path.dirname(target), '.decompress-', { suffix: '.partial' })
  const partial = path.join(path.dirname(target), tempName('.decompress-', '.partial'))
  const hash = expectedSha256 ? createHash('sha256') : null
  const see = onData || hash ? (chunk: Buffer) => (hash?.update(chunk), onData?.(chunk)) : undefined
  const tap = tapOf(see)
  try {
    if (format === 'xz') await unxz(source, partial, see)
    else if (format === 'gz') await intoSparseFile(partial, (out) => pipeline(createReadStream(source), createGunzip(), tap(), out))
    else await unzipImage(source, partial, tap)
    const actual = hash?.digest('hex')
    if (expectedSha256 && actual !== expectedSha256.toLowerCase()) {
      throw new BuildError('CHECKSUM_MISMATCH', `SHA256 mismatch for the image inside ${source}: expected ${expectedSha256.toLowerCase()}, got ${actual}`, {
        expected: expectedSha256.toLowerCase(),
        actual,
      })
    }
    await rename(partial, target)
  } catch (error) {
    await rm(partial, { force: true })
    if (error instanceof BuildError) throw error
    throw new BuildError('INVALID_SOURCE', `Cannot decompress ${source} (${format}): ${(error as Error).message}`)
  }
}

/** A pass-through stream that shows `see` every chunk. */
const tapOf = (see?: (chunk: Buffer) => void) => () => new Transform({ transform: (chunk: Buffer, _e, done) => (see?.(chunk), done(null, chunk)) })

/**
 * xz writes straight to the file (holes for zeros, no byte through JavaScript); `see` then reads
 * the file back in large chunks from the page cache. Piping xz's output through JavaScript
 * instead cost more CPU than decompressing (64 KiB pipe reads, one Buffer each).
 */
async function unxz(source: string, target: string, see?: (chunk: Buffer) => void): Promise<void> {
  const xz = findExecutable('xz')
  if (!xz) {
    const lzma = await loadLzma()
    await intoSparseFile(target, (out) => pipeline(createReadStream(source), lzma.createDecompressor(), ...(see ? [tapOf(see)()] : []), out))
    return
  }
  const output = await open(target, 'w+') // read back below
  try {
    const xzRun = startCommand(xz, ['--decompress', '--stdout', '--threads=0', source], { stdout: output.fd })
    await xzRun.done.catch((error: unknown) => {
      if (!(error instanceof CommandError) || error.cause) throw error // not xz's verdict: it did not start
      throw new BuildError('INVALID_SOURCE', `${source} is not a valid .xz archive: ${error.output.stderr.trim().replace(/^xz: /, '') || error.message}`)
    })
    if (see) await readBack(output, see)
  } finally {
    await output.close()
  }
}

/** Every byte of `file` in order, through one reused 4 MiB buffer (`see` must not keep a chunk). */
async function readBack(file: FileHandle, see: (chunk: Buffer) => void): Promise<void> {
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024)
  for (let position = 0; ; ) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position)
    if (bytesRead === 0) return
    see(buffer.subarray(0, bytesRead))
    position += bytesRead
  }
}

/** Extracts the one disk image inside a zip (Raspberry Pi images ship as `<name>.img` in a zip). */
async function unzipImage(source: string, target: string, tap: () => Transform): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(source, { lazyEntries: true, autoClose: false }, (error, file) => (error ? reject(error) : resolve(file))),
  )
  try {
    const entries: yauzl.Entry[] = []
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (/\.img$/i.test(entry.fileName) && !entry.fileName.endsWith('/')) entries.push(entry)
        zip.readEntry()
      })
      zip.once('end', resolve)
      zip.once('error', reject)
      zip.readEntry()
    })
    if (entries.length !== 1) {
      const found = entries.map((entry) => entry.fileName).join(', ')
      throw new BuildError('INVALID_SOURCE', entries.length ? `${source} holds several disk images (${found}); it must hold one` : `${source} holds no .img disk image`)
    }
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      zip.openReadStream(entries[0]!, (error, s) => (error ? reject(error) : resolve(s))),
    )
    await intoSparseFile(target, (out) => pipeline(stream, tap(), out))
  } finally {
    zip.close()
  }
}

/** Runs `write` into a new `target` that gets holes for its blocks of zeros. */
async function intoSparseFile(target: string, write: (out: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  const file = await open(target, 'w')
  try {
    await write(sparseFileStream(file))
  } finally {
    await file.close()
  }
}
