/**
 * One batch of `orchard diff`'s root fs walk, in its own process (ext-walk.ts says why).
 * argv: image file. stdin: JSON list of directories to read. stdout: JSON
 * { records, pending }: every entry of the directories read, and the directories left.
 */
import { createHash } from 'node:crypto'
import { withExt, type ExtFs } from './ext'
import type { FileRecord } from './file-list'
import { withImage } from './open'

/** Directories read per process: well under what leaks libext2fs's heap dry. */
const BATCH = 150

async function main(): Promise<void> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const pending = JSON.parse(Buffer.concat(chunks).toString('utf8')) as string[]
  const records: FileRecord[] = []
  await withImage(process.argv[2]!, 'read', (image) =>
    withExt(image.disk, image.root, async (fs) => {
      for (let read = 0; read < BATCH && pending.length; read++) {
        const dir = pending.shift()!
        for (const name of (await fs.readdir(dir)).sort()) {
          const path = `${dir === '/' ? '' : dir}/${name}`
          const record = await recordOf(fs, path)
          records.push(record)
          if (record.type === 'directory') pending.push(path)
        }
      }
    }),
  )
  process.stdout.write(JSON.stringify({ records, pending }))
}

async function recordOf(fs: ExtFs, path: string): Promise<FileRecord> {
  const stat = await fs.lstat(path)
  const base = { path, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, size: stat.size }
  if (stat.isDirectory()) return { ...base, type: 'directory', size: 0 }
  if (stat.isSymbolicLink()) return { ...base, type: 'symlink', target: await fs.readlink(path) }
  if (stat.isFile()) return { ...base, type: 'file', sha256: await fileSha256(fs, path) }
  return { ...base, type: 'other' }
}

/** In 64 KiB reads: libext2fs's heap cannot hold a large file whole. */
async function fileSha256(fs: ExtFs, path: string): Promise<string> {
  const hash = createHash('sha256')
  const { fd } = await fs.open(path, 'r')
  try {
    const buffer = Buffer.alloc(1 << 16)
    for (let position = 0; ; ) {
      const { bytesRead } = await fs.read(fd, buffer, 0, buffer.length, position)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      position += bytesRead
    }
  } finally {
    await fs.close(fd)
  }
  return hash.digest('hex')
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
