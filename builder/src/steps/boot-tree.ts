/**
 * The boot partition in a full build: its files are copied out of the FAT into a folder,
 * laid at the release's boot mount in the root tree while the steps run (on the device the
 * partition is mounted there, and packages such as the kernel and firmware write there),
 * and taken out again afterwards, so the root fs keeps an empty mount point and
 * boot-writeback.ts can write what changed back to the FAT.
 */
import { cp, lstat, mkdir, readdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { withFat } from '../image/fat'
import { withImage } from '../image/open'
import { detectImageTraits, type ReleaseTraits } from '../image/traits'
import { BuildError } from '../util/errors'

/** A boot tree in a folder: `dir` holds the release's boot mount as a path (`dir/boot/firmware/config.txt`). */
export interface BootTree {
  dir: string
  mount: ReleaseTraits['bootMount']
}

/** The folder inside `tree.dir` (or a root tree) that holds the boot files. */
export const bootFolder = (dir: string, mount: BootTree['mount']): string => path.join(dir, mount)

/** Copies every file and folder of `image`'s boot partition into `dir` at the release's boot mount. */
export async function readBootTree(image: string, dir: string): Promise<BootTree> {
  return withImage(image, 'read', async (opened) => {
    const { bootMount: mount } = await detectImageTraits(opened)
    const target = bootFolder(dir, mount)
    await mkdir(target, { recursive: true, mode: 0o755 })
    await withFat(opened.disk, opened.boot, async (fat) => {
      // tree() lists parents before their children.
      for (const entry of await fat.tree('/')) {
        const out = path.join(target, entry.path)
        if (entry.isDirectory) await mkdir(out, { mode: 0o755 })
        else await writeFile(out, await fat.readFile(entry.path), { mode: 0o644 })
      }
    })
    return { dir, mount }
  })
}

/** Lays the boot files into the root tree at its boot mount (chroot executor; docker imports them with the source). */
export async function placeBootTree(tree: BootTree, rootDir: string): Promise<void> {
  const from = bootFolder(tree.dir, tree.mount)
  const to = bootFolder(rootDir, tree.mount)
  await mkdir(to, { recursive: true, mode: 0o755 })
  refuseShadowed(await readdir(to), await readdir(from), tree.mount)
  // Child by child: the mount point keeps its own owner, mode and times.
  for (const name of await readdir(from)) await cp(path.join(from, name), path.join(to, name), { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false })
}

/** The root fs's own files under the mount point would mix with the boot partition's: one of the same name is refused. */
export function refuseShadowed(rootEntries: string[], bootEntries: string[], mount: BootTree['mount']): void {
  const taken = new Set(rootEntries)
  const clash = bootEntries.find((name) => taken.has(name))
  if (clash) throw new BuildError('INVALID_IMAGE', `The root filesystem has its own ${mount}/${clash} under the boot partition's mount point, where the boot partition's ${clash} goes`)
}

/**
 * Moves whatever is at the boot mount in `rootDir` after the steps into `dir` (same layout
 * as readBootTree's), leaving the root's mount point empty as in the source.
 */
export async function takeBootTree(rootDir: string, mount: BootTree['mount'], dir: string): Promise<BootTree> {
  const from = bootFolder(rootDir, mount)
  const to = bootFolder(dir, mount)
  await mkdir(to, { recursive: true, mode: 0o755 })
  const present = await lstat(from).then((stats) => stats.isDirectory(), () => false)
  // A step that removed the mount point removed every boot file with it.
  if (present) for (const name of await readdir(from)) await rename(path.join(from, name), path.join(to, name))
  else await mkdir(from, { recursive: true, mode: 0o755 })
  return { dir, mount }
}
