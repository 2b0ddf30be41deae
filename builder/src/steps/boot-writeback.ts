/**
 * Writes what the steps changed under the boot mount back to the image's FAT boot
 * partition: removed files and folders go first (freeing room, and letting a name come
 * back in another case), then new folders, then new and changed files. What FAT cannot
 * hold is refused by name before anything is written; a partition that fills up is
 * BOOT_PARTITION_FULL naming what grew. The image is the build's own temp copy, so a
 * refused write-back leaves nothing behind.
 */
import { lstat, readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { withFat } from '../image/fat'
import { FatError } from '../image/fat/errors'
import { withImage } from '../image/open'
import { formatBytes } from '../util/bytes'
import { BuildError } from '../util/errors'
import { bootFolder, type BootTree } from './boot-tree'

interface Node {
  kind: 'file' | 'dir'
  size: number
}

export interface BootChanges {
  added: string[]
  changed: string[]
  removed: string[]
}

/**
 * Makes the boot partition of `image` hold `after`, given that it held `before`; `now` stamps
 * what is written. `dryRun`: every write kept in memory (copy-on-write) and dropped, so a
 * build learns that the changes fit before it spends minutes rebuilding the root fs.
 */
export async function writeBootChanges(image: string, before: BootTree, after: BootTree, now?: Date, { dryRun = false } = {}): Promise<BootChanges> {
  const mount = before.mount
  const old = await walk(bootFolder(before.dir, mount), mount)
  const next = await walk(bootFolder(after.dir, mount), mount)
  refuseCaseClashes(next, mount)

  const removed = [...old.keys()].filter((p) => next.get(p)?.kind !== old.get(p)!.kind)
  const newDirs = [...next.keys()].filter((p) => next.get(p)!.kind === 'dir' && old.get(p)?.kind !== 'dir')
  const written: string[] = []
  for (const [p, node] of next) {
    if (node.kind !== 'file') continue
    const was = old.get(p)
    if (was?.kind !== 'file' || was.size !== node.size || !(await sameContent(before, after, p))) written.push(p)
  }
  const changes = { added: written.filter((p) => !old.has(p) || removed.includes(p)), changed: written.filter((p) => old.has(p) && !removed.includes(p)), removed }
  changes.added.push(...newDirs)
  if (!removed.length && !newDirs.length && !written.length) return changes

  await withImage(image, dryRun ? 'copyOnWrite' : 'write', async (opened) =>
    withFat(
      opened.disk,
      opened.boot,
      async (fat) => {
        const freeBefore = await fat.freeBytes()
        try {
          // Deepest first: a folder's files go before the folder.
          for (const p of [...removed].sort(byDepth).reverse()) await (old.get(p)!.kind === 'dir' ? fat.rmdir(p) : fat.unlink(p))
          for (const p of [...newDirs].sort(byDepth)) await fat.mkdir(p)
          for (const p of written) await fat.writeFile(p, await readFile(path.join(bootFolder(after.dir, mount), p)))
        } catch (error) {
          if (error instanceof FatError && error.code === 'ENOSPC') throw overflow(opened.boot.size, freeBefore, old, next, mount)
          if (error instanceof FatError) throw new BuildError('INVALID_INPUT', `Writing ${mount} back to the boot partition failed: ${error.message}`)
          throw error
        }
      },
      now,
    ),
  )
  return changes
}

/** Every file and folder under `dir` by its FAT path ('/overlays/x.dtbo'); anything FAT cannot hold is refused by name. */
async function walk(dir: string, mount: string): Promise<Map<string, Node>> {
  const out = new Map<string, Node>()
  const visit = async (at: string, prefix: string): Promise<void> => {
    for (const name of (await readdir(at)).sort()) {
      const file = path.join(at, name)
      const fatPath = `${prefix}/${name}`
      const stats = await lstat(file)
      if (stats.isDirectory()) {
        out.set(fatPath, { kind: 'dir', size: 0 })
        await visit(file, fatPath)
      } else if (stats.isFile()) out.set(fatPath, { kind: 'file', size: stats.size })
      else {
        const what = stats.isSymbolicLink() ? 'a symbolic link' : 'a special file'
        throw new BuildError('INVALID_INPUT', `${mount}${fatPath} is ${what}: the FAT boot partition holds only files and folders (a step or package made it; make it a file)`)
      }
    }
  }
  await visit(dir, '')
  return out
}

/** FAT matches names case-insensitively: two names that differ only in case cannot both be there. */
function refuseCaseClashes(tree: Map<string, Node>, mount: string): void {
  const seen = new Map<string, string>()
  for (const p of tree.keys()) {
    const key = p.toLowerCase()
    const other = seen.get(key)
    if (other) throw new BuildError('INVALID_INPUT', `${mount}${other} and ${mount}${p} differ only in case: the FAT boot partition cannot hold both`)
    seen.set(key, p)
  }
}

async function sameContent(before: BootTree, after: BootTree, p: string): Promise<boolean> {
  const [a, b] = await Promise.all([readFile(path.join(bootFolder(before.dir, before.mount), p)), readFile(path.join(bootFolder(after.dir, after.mount), p))])
  return a.equals(b)
}

const byDepth = (a: string, b: string) => a.split('/').length - b.split('/').length || a.localeCompare(b)

/** BOOT_PARTITION_FULL: the partition, what was free, and the biggest growth first. */
function overflow(partitionBytes: number, freeBefore: number, old: Map<string, Node>, next: Map<string, Node>, mount: string): BuildError {
  const grew = [...next]
    .filter(([, node]) => node.kind === 'file')
    .map(([p, node]) => ({ path: `${mount}${p}`, was: old.get(p)?.kind === 'file' ? old.get(p)!.size : null, size: node.size }))
    .filter(({ was, size }) => was === null || size > was)
    .sort((a, b) => b.size - (b.was ?? 0) - (a.size - (a.was ?? 0)))
  const total = (tree: Map<string, Node>) => [...tree.values()].reduce((sum, node) => sum + node.size, 0)
  const lines = grew.slice(0, 10).map(({ path: p, was, size }) => `  ${p}: ${was === null ? `new, ${formatBytes(size)}` : `${formatBytes(was)} → ${formatBytes(size)}`}`)
  if (grew.length > 10) lines.push(`  … and ${grew.length - 10} more`)
  return new BuildError(
    'BOOT_PARTITION_FULL',
    `The boot partition (${formatBytes(partitionBytes)}, ${formatBytes(freeBefore)} free) cannot hold what the build left at ${mount}: its files grew from ${formatBytes(total(old))} to ${formatBytes(total(next))}. What grew, largest first:\n${lines.join('\n')}`,
    { partitionBytes, freeBytes: freeBefore, grew: grew.map(({ path: p, was, size }) => ({ path: p, was, size })) },
  )
}
