import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { copyFile, open, rename, rm } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import type { Disk, DiskChunk } from 'file-disk'
import { BuildError } from '../util/errors'
import { CommandError, runCommand } from '../util/process'
import { findExecutable, loadLzma } from '../util/tools'

const CHUNK = 8 << 20

/**
 * Writes a copy-on-write disk out as an image file. Two things run at once: the kernel
 * copies the source file (sparse, and a reflink where the filesystem can), while this
 * process hashes the source with the recorded edits laid over it. Then only the edited
 * ranges are written into the copy. The SHA256 covers every byte of the result.
 */
export async function writeImage(
  source: string,
  disk: Disk,
  target: string,
  onBytes?: (hashed: number, total: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const capacity = await disk.getCapacity()
  // With recordWrites and no recordReads, the known chunks are exactly the edits, sorted.
  const edits = disk.knownChunks
  const [sha256] = await Promise.all([hashWithEdits(source, edits, capacity, onBytes, signal), kernelCopy(source, target, signal)])
  const out = await open(target, 'r+')
  try {
    for (const edit of edits) {
      const data = edit.data()
      await out.write(data, 0, data.length, edit.start)
    }
    await out.truncate(capacity)
    await out.sync()
  } finally {
    await out.close()
  }
  return sha256
}

async function hashWithEdits(
  source: string,
  edits: DiskChunk[],
  capacity: number,
  onBytes?: (hashed: number, total: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const hash = createHash('sha256')
  const input = await open(source, 'r')
  try {
    // Two buffers: the next read runs while the current chunk is patched and hashed.
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)]
    const readAt = (position: number, buffer: Buffer) =>
      input.read(buffer, 0, Math.min(CHUNK, capacity - position), position).then(({ bytesRead }) => buffer.subarray(0, bytesRead))
    let first = 0 // edits before this index end before the current chunk
    let pending = capacity > 0 ? readAt(0, buffers[0]!) : null
    for (let position = 0, turn = 0; pending; turn ^= 1) {
      const chunk = await pending
      if (chunk.length === 0) throw new BuildError('INVALID_SOURCE', `${source} is shorter than its ${capacity} bytes`)
      const next = position + chunk.length
      pending = next < capacity ? readAt(next, buffers[turn ^ 1]!) : null
      if (signal?.aborted) throw new BuildError('CANCELLED', 'Cancelled while writing the image')
      while (first < edits.length && edits[first]!.end < position) first++
      for (let i = first; i < edits.length && edits[i]!.start < next; i++) {
        const edit = edits[i]!
        const from = Math.max(edit.start, position)
        const to = Math.min(edit.end + 1, next)
        edit.data().copy(chunk, from - position, from - edit.start, to - edit.start)
      }
      hash.update(chunk)
      position = next
      onBytes?.(position, capacity)
    }
  } finally {
    await input.close()
  }
  return hash.digest('hex')
}

/** The fastest whole-file copy the platform has: GNU cp keeps holes and reflinks; copyFile clones on macOS. */
async function kernelCopy(source: string, target: string, signal?: AbortSignal): Promise<void> {
  const cp = process.platform === 'linux' ? findExecutable('cp') : null
  if (!cp) return copyFile(source, target)
  await runCommand(cp, ['--sparse=always', '--reflink=auto', source, target], { stdout: 'ignore', signal }).catch((error: unknown) => {
    if (!(error instanceof CommandError)) throw error
    if (error.cancelled) throw new BuildError('CANCELLED', 'Cancelled while writing the image')
    throw new BuildError('UNWRITABLE', `Copying ${source} to ${target} failed: ${error.output.stderr.trim() || error.message}`)
  })
}

/**
 * `<image>.xz` with all cores, or lzma-native where xz is not installed. Reproducible with
 * the same xz: every setting that shapes the output is given (xz's multi-threaded format
 * with -T0 does not depend on the thread count, even on one core; --no-adjust fails
 * rather than switching to single-threaded under a memory limit) and XZ_OPT/XZ_DEFAULTS
 * are not read. lzma-native's output is not promised equal to the xz program's.
 */
export async function compressXz(image: string, target: string): Promise<void> {
  const partial = `${target}.partial`
  try {
    const xz = findExecutable('xz')
    if (xz) {
      const output = await open(partial, 'w')
      try {
        const env = { ...process.env }
        delete env.XZ_OPT
        delete env.XZ_DEFAULTS
        const args = ['--compress', '--stdout', '--format=xz', '--check=crc64', '-6', '--threads=0', '--memlimit-compress=0', '--no-adjust', image]
        await runCommand(xz, args, { stdout: output.fd, env }).catch((error: unknown) => {
          if (!(error instanceof CommandError)) throw error
          throw new BuildError('UNWRITABLE', `xz failed compressing ${image}: ${error.output.stderr.trim() || error.message}`)
        })
      } finally {
        await output.close()
      }
    } else {
      const lzma = await loadLzma()
      await pipeline(createReadStream(image), lzma.createCompressor({ threads: 0, preset: 6 }), createWriteStream(partial))
    }
    await rename(partial, target)
  } catch (error) {
    await rm(partial, { force: true })
    throw error
  }
}
