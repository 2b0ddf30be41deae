/**
 * Every file of an image's root fs, for `orchard diff`. node-ext2fs's readdir leaks heap
 * inside libext2fs (about 500 reads of /usr/lib exhaust it; unmounting does not give it
 * back, and the module is unusable after the abort), so the walk runs in batches, each in
 * a fresh process (ext-walk-child.ts) with its own heap.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BuildError } from '../util/errors'
import type { FileRecord } from './file-list'

const CHILD = fileURLToPath(new URL('./ext-walk-child.ts', import.meta.url))
// tsx found from this file, not from the caller's folder: `orchard diff` runs anywhere.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

export async function walkExtTree(image: string): Promise<Map<string, FileRecord>> {
  const out = new Map<string, FileRecord>()
  let pending = ['/']
  while (pending.length) {
    const batch = await runBatch(image, pending)
    for (const record of batch.records) out.set(record.path, record)
    pending = batch.pending
  }
  return out
}

function runBatch(image: string, pending: string[]): Promise<{ records: FileRecord[]; pending: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD, image], { stdio: ['pipe', 'pipe', 'pipe'] })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new BuildError('INVALID_IMAGE', `Reading ${image}'s root filesystem failed: ${Buffer.concat(stderr).toString('utf8').trim().slice(-500)}`))
      resolve(JSON.parse(Buffer.concat(stdout).toString('utf8')) as { records: FileRecord[]; pending: string[] })
    })
    child.stdin.end(JSON.stringify(pending))
  })
}
