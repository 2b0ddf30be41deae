/** How big an image is once decompressed, without decompressing it (null when the format does not say). */
import { open, stat } from 'node:fs/promises'
import yauzl from 'yauzl'
import { splitLines } from '../util/lines'
import { runCommand } from '../util/process'
import { findExecutable } from '../util/tools'
import { sniffFormat } from './decompress'

export async function imageSize(file: string): Promise<number | null> {
  const format = await sniffFormat(file)
  if (format === 'img') return (await stat(file)).size
  if (format === 'xz') {
    const xz = findExecutable('xz')
    if (!xz) return null
    const totals = splitLines((await runCommand(xz, ['--robot', '--list', file])).stdout).find((line) => line.startsWith('totals'))
    return totals ? Number(totals.split('\t')[4]) : null
  }
  if (format === 'zip') return zipImageSize(file)
  if (format === 'gz') {
    // The gzip trailer keeps the size modulo 4 GiB: trustworthy only below that.
    const { size } = await stat(file)
    const handle = await open(file, 'r')
    try {
      const trailer = Buffer.alloc(4)
      await handle.read(trailer, 0, 4, size - 4)
      const isize = trailer.readUInt32LE(0)
      return size < 2 ** 32 / 16 && isize > size ? isize : null
    } finally {
      await handle.close()
    }
  }
  return null
}

function zipImageSize(file: string): Promise<number | null> {
  return new Promise((resolve) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return resolve(null)
      let found: number | null = null
      zip.on('entry', (entry: yauzl.Entry) => {
        if (/\.img$/i.test(entry.fileName)) found = entry.uncompressedSize
        zip.readEntry()
      })
      zip.once('end', () => resolve(found))
      zip.once('error', () => resolve(null))
      zip.readEntry()
    })
  })
}
