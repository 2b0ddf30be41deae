/**
 * Writes a (copy-on-write) disk out as an image file in one pass: read source + merged
 * edits, hash, write. All-zero chunks are skipped, so the file is sparse where the image
 * is empty; the SHA256 still covers every byte.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import type { Disk } from 'file-disk'
import { BuildError } from '../errors'
import { findExecutable, loadLzma } from '../tools'

const CHUNK = 8 << 20
const ZEROS = Buffer.alloc(CHUNK)

export async function writeDisk(
  disk: Disk,
  target: string,
  onBytes?: (written: number, total: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const capacity = await disk.getCapacity()
  const hash = createHash('sha256')
  const out = await open(target, 'w')
  try {
    await out.truncate(capacity)
    // Two buffers: the next read runs while the current chunk is hashed and written.
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)]
    const readAt = (position: number, buffer: Buffer) =>
      disk.read(buffer, 0, Math.min(CHUNK, capacity - position), position).then(({ bytesRead }) => buffer.subarray(0, bytesRead))
    let pending = capacity > 0 ? readAt(0, buffers[0]!) : null
    for (let position = 0, turn = 0; pending; turn ^= 1) {
      const chunk = await pending
      const next = position + chunk.length
      pending = next < capacity ? readAt(next, buffers[turn ^ 1]!) : null
      if (signal?.aborted) throw new BuildError('CANCELLED', 'Cancelled while writing the image')
      hash.update(chunk)
      if (!chunk.equals(ZEROS.subarray(0, chunk.length))) await out.write(chunk, 0, chunk.length, position)
      position = next
      onBytes?.(position, capacity)
    }
    await out.sync()
  } finally {
    await out.close()
  }
  return hash.digest('hex')
}

/** `<image>.xz` with all cores (xz -T0), or lzma-native where xz is not installed. */
export async function compressXz(image: string, target: string): Promise<void> {
  const partial = `${target}.partial`
  try {
    const xz = await findExecutable('xz')
    if (xz) {
      const output = await open(partial, 'w')
      try {
        const child = spawn(xz, ['--compress', '--stdout', '--threads=0', '-6', image], { stdio: ['ignore', output.fd, 'pipe'] })
        let stderr = ''
        child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
        const code = await new Promise<number | null>((resolve, reject) => {
          child.once('error', reject)
          child.once('close', resolve)
        })
        if (code !== 0) throw new BuildError('UNWRITABLE', `xz failed compressing ${image}: ${stderr.trim()}`)
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
