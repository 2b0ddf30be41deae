/**
 * One walk over a root fs folder before it becomes an ext4 image: counts what mke2fs must
 * hold (inodes, and bytes rounded to whole blocks, which do not depend on the host file
 * system the way `du` does), and clamps every modification time to the build time, as
 * reproducible-builds.org asks of archives (docs/reproducible.md): a file a package ships
 * keeps its packaged time, one a build step wrote at the wall clock gets the build time.
 */
import { lstat, lutimes, readdir } from 'node:fs/promises'
import path from 'node:path'

export interface TreeSize {
  /** Every entry, the folder itself included. */
  entries: number
  /** Regular files' sizes rounded up to `blockSize`, plus one block per folder and long symlink. */
  bytes: number
}

export async function scanTree(dir: string, options: { blockSize: number; clampTo?: Date }): Promise<TreeSize> {
  const { blockSize, clampTo } = options
  const limit = clampTo ? clampTo.getTime() / 1000 : Number.POSITIVE_INFINITY
  const size: TreeSize = { entries: 0, bytes: 0 }
  const device = (await lstat(dir)).dev
  const pending = [dir]
  while (pending.length) {
    const folder = pending.pop()!
    const names = folder === dir ? [''] : []
    for (const name of await readdir(folder)) names.push(name)
    for (const name of names) {
      const file = name ? path.join(folder, name) : folder
      const stats = await lstat(file, { bigint: false })
      size.entries += 1
      if (stats.isDirectory()) {
        size.bytes += blockSize
        // -xdev, as mke2fs's copy must not see a bound /proc or /dev either.
        if (name && stats.dev === device) pending.push(file)
      } else if (stats.isFile()) size.bytes += Math.ceil(stats.size / blockSize) * blockSize
      else if (stats.isSymbolicLink() && stats.size > 59) size.bytes += blockSize
      // Clamp only what is later than the build time: earlier times are the packages' own.
      if (stats.mtimeMs / 1000 > limit) await lutimes(file, clampTo!, clampTo!)
    }
  }
  return size
}
