/**
 * A small zip writer (deflate for small entries, store for large ones, ZIP64 when sizes or
 * offsets pass 4 GiB) and a safe extractor over yauzl. Enough for build.zip; not a general
 * archiver: no directories entries, no encryption, no multi-disk.
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { PassThrough, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { crc32, deflateRawSync } from 'node:zlib'
import yauzl from 'yauzl'
import { BuildError } from '../util/errors'

const MAX32 = 0xffffffff
/** Entries up to this size are deflated in memory; larger ones are streamed and stored. */
const DEFLATE_LIMIT = 32 << 20
const UTF8_NAMES = 0x0800
/** What all deflated entries of one archive may inflate to: a deflate bomb stops here, before anything is written. */
const MAX_INFLATED = 4 * 1024 ** 3

export interface ZipEntryInfo {
  name: string
  size: number
  sha256: string
}

interface CentralRecord {
  name: Buffer
  method: number
  crc: number
  compressed: number
  size: number
  offset: number
  mode: number
}

/** MS-DOS date and time (local fields, 2-second resolution) as zip stores them. */
export function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getUTCFullYear())
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  }
}

/** A zip entry name must be relative, forward-slashed, without "." or ".." segments. */
export function checkEntryName(name: string): void {
  const parts = name.split('/')
  if (!name || name.startsWith('/') || name.includes('\\') || name.includes('\0') || /^[A-Za-z]:/.test(name) || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new BuildError('INVALID_INPUT', `Unsafe zip entry name: ${JSON.stringify(name)}`)
  }
}

export class ZipWriter {
  private position = 0
  private readonly records: CentralRecord[] = []
  private readonly names = new Set<string>()
  private readonly stamp: { time: number; date: number }

  private constructor(
    private readonly handle: FileHandle,
    date: Date,
    private readonly forceZip64: boolean,
  ) {
    this.stamp = dosDateTime(date)
  }

  /** `forceZip64` writes ZIP64 fields for every entry (tests exercise that path without 4 GiB files). */
  static async create(file: string, options: { date?: Date; forceZip64?: boolean } = {}): Promise<ZipWriter> {
    return new ZipWriter(await open(file, 'w'), options.date ?? new Date(), options.forceZip64 ?? false)
  }

  async addBuffer(name: string, data: Buffer, mode = 0o644): Promise<ZipEntryInfo> {
    this.claim(name)
    const crc = crc32(data)
    const deflated = deflateRawSync(data, { level: 6 })
    const [method, body] = deflated.length < data.length ? [8, deflated] : [0, data]
    await this.writeEntry({ name: Buffer.from(name, 'utf8'), method, crc, compressed: body.length, size: data.length, offset: this.position, mode }, body)
    return { name, size: data.length, sha256: createHash('sha256').update(data).digest('hex') }
  }

  async addFile(name: string, file: string, mode = 0o644): Promise<ZipEntryInfo> {
    const { size } = await stat(file)
    if (size <= DEFLATE_LIMIT) {
      const handle = await open(file, 'r')
      try {
        const data = await handle.readFile()
        if (data.length !== size) throw new BuildError('INVALID_INPUT', `${file} changed while it was being packed`)
        return await this.addBuffer(name, data, mode)
      } finally {
        await handle.close()
      }
    }
    // Large: stored, streamed; the CRC goes into the local header once the data is written.
    this.claim(name)
    const record: CentralRecord = { name: Buffer.from(name, 'utf8'), method: 0, crc: 0, compressed: size, size, offset: this.position, mode }
    const header = this.localHeader(record)
    await this.write(header)
    const hash = createHash('sha256')
    let crc = 0
    let bytes = 0
    for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) {
      const buffer = chunk as Buffer
      crc = crc32(buffer, crc)
      hash.update(buffer)
      bytes += buffer.length
      await this.write(buffer)
    }
    if (bytes !== size) throw new BuildError('INVALID_INPUT', `${file} changed while it was being packed (${bytes} bytes read, ${size} expected)`)
    record.crc = crc
    const crcField = Buffer.alloc(4)
    crcField.writeUInt32LE(crc >>> 0)
    await this.handle.write(crcField, 0, 4, record.offset + 14)
    this.records.push(record)
    return { name, size, sha256: hash.digest('hex') }
  }

  /** Writes the central directory and closes the file. */
  async close(): Promise<void> {
    try {
      const start = this.position
      for (const record of this.records) await this.write(this.centralHeader(record))
      const size = this.position - start
      const count = this.records.length
      if (this.forceZip64 || count >= 0xffff || start >= MAX32 || size >= MAX32) {
        const zip64End = this.position
        const record = Buffer.alloc(56)
        record.writeUInt32LE(0x06064b50, 0)
        record.writeBigUInt64LE(44n, 4)
        record.writeUInt16LE((3 << 8) | 45, 12)
        record.writeUInt16LE(45, 14)
        record.writeBigUInt64LE(BigInt(count), 24)
        record.writeBigUInt64LE(BigInt(count), 32)
        record.writeBigUInt64LE(BigInt(size), 40)
        record.writeBigUInt64LE(BigInt(start), 48)
        const locator = Buffer.alloc(20)
        locator.writeUInt32LE(0x07064b50, 0)
        locator.writeBigUInt64LE(BigInt(zip64End), 8)
        locator.writeUInt32LE(1, 16)
        await this.write(Buffer.concat([record, locator]))
      }
      const end = Buffer.alloc(22)
      end.writeUInt32LE(0x06054b50, 0)
      end.writeUInt16LE(Math.min(count, 0xffff), 8)
      end.writeUInt16LE(Math.min(count, 0xffff), 10)
      end.writeUInt32LE(Math.min(size, MAX32), 12)
      end.writeUInt32LE(this.forceZip64 ? MAX32 : Math.min(start, MAX32), 16)
      await this.write(end)
    } finally {
      await this.handle.close()
    }
  }

  /** Closes without finishing (the caller removes the file). */
  async abandon(): Promise<void> {
    await this.handle.close().catch(() => {})
  }

  private claim(name: string): void {
    checkEntryName(name)
    if (this.names.has(name)) throw new BuildError('INVALID_INPUT', `Two zip entries named ${name}`)
    this.names.add(name)
  }

  private async writeEntry(record: CentralRecord, body: Buffer): Promise<void> {
    await this.write(this.localHeader(record))
    await this.write(body)
    this.records.push(record)
  }

  private async write(data: Buffer): Promise<void> {
    let done = 0
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, this.position + done)
      done += bytesWritten
    }
    this.position += data.length
  }

  private needs64(record: CentralRecord): boolean {
    return this.forceZip64 || record.size >= MAX32 || record.compressed >= MAX32
  }

  private localHeader(record: CentralRecord): Buffer {
    const zip64 = this.needs64(record)
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0)
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0)
      extra.writeUInt16LE(16, 2)
      extra.writeBigUInt64LE(BigInt(record.size), 4)
      extra.writeBigUInt64LE(BigInt(record.compressed), 12)
    }
    const header = Buffer.alloc(30)
    header.writeUInt32LE(0x04034b50, 0)
    header.writeUInt16LE(zip64 ? 45 : 20, 4)
    header.writeUInt16LE(UTF8_NAMES, 6)
    header.writeUInt16LE(record.method, 8)
    header.writeUInt16LE(this.stamp.time, 10)
    header.writeUInt16LE(this.stamp.date, 12)
    header.writeUInt32LE(record.crc >>> 0, 14)
    header.writeUInt32LE(zip64 ? MAX32 : record.compressed, 18)
    header.writeUInt32LE(zip64 ? MAX32 : record.size, 22)
    header.writeUInt16LE(record.name.length, 26)
    header.writeUInt16LE(extra.length, 28)
    return Buffer.concat([header, record.name, extra])
  }

  private centralHeader(record: CentralRecord): Buffer {
    const big = this.needs64(record)
    const offset64 = this.forceZip64 || record.offset >= MAX32
    const fields = [...(big ? [record.size, record.compressed] : []), ...(offset64 ? [record.offset] : [])]
    const extra = Buffer.alloc(fields.length ? 4 + 8 * fields.length : 0)
    if (fields.length) {
      extra.writeUInt16LE(0x0001, 0)
      extra.writeUInt16LE(8 * fields.length, 2)
      fields.forEach((value, index) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * index))
    }
    const header = Buffer.alloc(46)
    header.writeUInt32LE(0x02014b50, 0)
    header.writeUInt16LE((3 << 8) | 45, 4) // made by: Unix, spec 4.5
    header.writeUInt16LE(big || offset64 ? 45 : 20, 6)
    header.writeUInt16LE(UTF8_NAMES, 8)
    header.writeUInt16LE(record.method, 10)
    header.writeUInt16LE(this.stamp.time, 12)
    header.writeUInt16LE(this.stamp.date, 14)
    header.writeUInt32LE(record.crc >>> 0, 16)
    header.writeUInt32LE(big ? MAX32 : record.compressed, 20)
    header.writeUInt32LE(big ? MAX32 : record.size, 24)
    header.writeUInt16LE(record.name.length, 28)
    header.writeUInt16LE(extra.length, 30)
    header.writeUInt32LE(((0o100000 | record.mode) << 16) >>> 0, 38) // a regular file with its mode
    header.writeUInt32LE(offset64 ? MAX32 : record.offset, 42)
    return Buffer.concat([header, record.name, extra])
  }
}

export interface ExtractedEntry {
  name: string
  size: number
  sha256: string
}

/** Refuses an archive whose deflated entries would inflate beyond what build.zip's writer makes (a deflate bomb). */
function checkInflatedSizes(zipFile: string, entries: yauzl.Entry[]): void {
  let total = 0
  for (const entry of entries) {
    if (entry.compressionMethod === 0) continue // stored: as large in the archive as on disk
    if (entry.uncompressedSize > DEFLATE_LIMIT) {
      throw new BuildError('INVALID_INPUT', `${zipFile}: ${entry.fileName} would inflate to ${entry.uncompressedSize} bytes; build.zip deflates only entries up to ${DEFLATE_LIMIT}`)
    }
    total += entry.uncompressedSize
    if (total > MAX_INFLATED) throw new BuildError('INVALID_INPUT', `${zipFile}: its deflated entries would inflate to more than ${MAX_INFLATED} bytes`)
  }
}

/**
 * Extracts every file entry of `zipFile` under `dir` (which must exist), checking each
 * entry's CRC32 and refusing names that would land outside `dir`, links and duplicates.
 */
export async function extractZip(zipFile: string, dir: string, options: { maxEntries?: number } = {}): Promise<ExtractedEntry[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipFile, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true }, (error, file) => (error ? reject(error) : resolve(file))),
  ).catch((error: Error) => {
    throw new BuildError('INVALID_INPUT', `${zipFile} is not a readable zip: ${error.message}`)
  })
  const extracted: ExtractedEntry[] = []
  const seen = new Set<string>()
  try {
    const entries: yauzl.Entry[] = []
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.push(entry)
        if (entries.length > (options.maxEntries ?? 10_000)) reject(new BuildError('INVALID_INPUT', `${zipFile} has too many entries`))
        else zip.readEntry()
      })
      zip.on('end', resolve)
      zip.on('error', (error: Error) => reject(new BuildError('INVALID_INPUT', `${zipFile} is not a readable zip: ${error.message}`)))
      zip.readEntry()
    })
    checkInflatedSizes(zipFile, entries)
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue // directory entries: folders are made as files need them
      checkEntryName(entry.fileName)
      const unixType = (entry.externalFileAttributes >>> 16) & 0o170000
      if (unixType !== 0 && unixType !== 0o100000) throw new BuildError('INVALID_INPUT', `${zipFile}: ${entry.fileName} is not a regular file`)
      if (seen.has(entry.fileName)) throw new BuildError('INVALID_INPUT', `${zipFile}: ${entry.fileName} appears twice`)
      seen.add(entry.fileName)
      const target = path.join(dir, ...entry.fileName.split('/'))
      // A file 'a' and then 'a/b': the folder cannot be made.
      await mkdir(path.dirname(target), { recursive: true }).catch((error: Error) => {
        throw new BuildError('INVALID_INPUT', `${zipFile}: ${entry.fileName}: ${error.message}`)
      })
      const yauzlStream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
        zip.openReadStream(entry, (error, readStream) => (error ? reject(new BuildError('INVALID_INPUT', `${zipFile}: ${entry.fileName}: ${error.message}`)) : resolve(readStream))),
      )
      // yauzl replaces its stream's destroy() with one that never emits 'close', so pipeline() would wait
      // forever after a size or inflate error: it gets a plain stream that yauzl's errors destroy instead.
      const stream = new PassThrough()
      yauzlStream.on('error', (error: Error) => stream.destroy(error))
      yauzlStream.pipe(stream)
      const hash = createHash('sha256')
      let crc = 0
      let size = 0
      await pipeline(
        stream,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            crc = crc32(chunk, crc)
            hash.update(chunk)
            size += chunk.length
            callback(null, chunk)
          },
        }),
        createWriteStream(target, { flags: 'wx' }),
      ).catch((error: Error) => {
        throw error instanceof BuildError ? error : new BuildError('INVALID_INPUT', `${zipFile}: ${entry.fileName}: ${error.message}`)
      })
      if (crc >>> 0 !== entry.crc32 >>> 0) throw new BuildError('INVALID_INPUT', `${zipFile}: ${entry.fileName} is damaged (CRC32 mismatch)`)
      extracted.push({ name: entry.fileName, size, sha256: hash.digest('hex') })
    }
  } finally {
    zip.close()
  }
  return extracted
}
