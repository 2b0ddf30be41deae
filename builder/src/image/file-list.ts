/**
 * Every file of an image's two partitions as comparable records (type, mode, owner, size,
 * content SHA256, link target), read with our own readers: what `orchard diff` compares.
 */
import { createHash } from 'node:crypto'
import { walkExtTree } from './ext-walk'
import { withFat } from './fat'
import { withImage } from './open'

export interface FileRecord {
  path: string
  type: 'file' | 'directory' | 'symlink' | 'other'
  /** Permission bits (ext only; FAT has none). */
  mode?: number
  uid?: number
  gid?: number
  size: number
  sha256?: string
  target?: string
}

export interface ImageFiles {
  boot: Map<string, FileRecord>
  root: Map<string, FileRecord>
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

/** With `root: false` the root fs is not walked (its map stays empty): a caller that knows both roots are the same bytes. */
export async function listImageFiles(file: string, options: { root?: boolean } = {}): Promise<ImageFiles> {
  const boot = await withImage(file, 'read', async (image) => {
    const boot = new Map<string, FileRecord>()
    await withFat(image.disk, image.boot, async (fat) => {
      for (const entry of await fat.tree('/')) {
        const record: FileRecord = entry.isDirectory
          ? { path: entry.path, type: 'directory', size: 0 }
          : { path: entry.path, type: 'file', size: entry.size, sha256: sha256(await fat.readFile(entry.path)) }
        boot.set(entry.path, record)
      }
    })
    return boot
  })
  return { boot, root: options.root === false ? new Map() : await walkExtTree(file) }
}
