/**
 * Full builds change the root filesystem as a folder; this turns it back into an image.
 * The root fs is read out losslessly (fuse2fs + tar keeps owners, modes, setuid, device
 * nodes, hard links and capability xattrs; debugfs rdump would drop them), and rebuilt
 * with `mke2fs -d` at a size computed from its content, keeping the original's UUID,
 * label and features; the boot partition and the disk id stay, so PARTUUIDs in
 * cmdline.txt and fstab still match. Given a build time and a hash seed, the same folder
 * gives the same bytes (docs/reproducible.md): file times clamped (tree-scan.ts), mke2fs
 * and debugfs on a fake clock (ext-times.ts), entries in C-locale order.
 */
import { mkdtemp, open, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { BuildError } from '../util/errors'
import { readPartitionTable, SECTOR, type Partition } from '../image/partitions'
import { CommandError, runCommand, startCommand } from '../util/process'
import { findExecutable } from '../util/tools'
import { fakeTimeEnv, pinInodeTimes } from './ext-times'
import { scanTree } from './tree-scan'

const MIB = 1 << 20
const ALIGN = 4 * MIB

export interface ExtProperties {
  uuid: string
  label: string
  features: string[]
  blockSize: number
  inodeSize: number
}

/** The properties a rebuilt root fs must keep, read by dumpe2fs from the partition in the image. */
export async function readExtProperties(image: string, partition: Partition): Promise<ExtProperties> {
  const { stdout } = await runCommand('dumpe2fs', ['-h', `${image}?offset=${partition.offset}`])
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(stdout)?.[1]?.trim() ?? ''
  return {
    uuid: field('Filesystem UUID'),
    label: field('Filesystem volume name').replace('<none>', ''),
    // needs_recovery and the like describe state, not layout.
    features: field('Filesystem features').split(/\s+/).filter((f) => f && !['needs_recovery', 'orphan_present'].includes(f)),
    blockSize: Number(field('Block size')),
    inodeSize: Number(field('Inode size')),
  }
}

/** Runs `fn` with the ext filesystem of `partition` mounted read-only (fuse2fs: no loop device, no kernel ext4 needed). */
export async function withRootMounted<T>(image: string, partition: Partition, fn: (mountPoint: string) => Promise<T>): Promise<T> {
  const fuse2fs = findExecutable('fuse2fs')
  if (!fuse2fs) throw new BuildError('UNAVAILABLE', 'Reading the root filesystem needs fuse2fs (Debian package fuse2fs)')
  const mountPoint = await mkdtemp(path.join(os.tmpdir(), 'orchard-root-'))
  try {
    await runCommand(fuse2fs, ['-o', `ro,offset=${partition.offset}`, image, mountPoint])
    try {
      return await fn(mountPoint)
    } finally {
      await runCommand('umount', [mountPoint]).catch(() => runCommand('umount', ['-l', mountPoint]))
    }
  } finally {
    await rm(mountPoint, { recursive: true, force: true })
  }
}

/** Copies the root filesystem of `image` into `target` (an empty folder), losslessly. Needs root. */
export async function extractRoot(image: string, partition: Partition, target: string): Promise<void> {
  await withRootMounted(image, partition, (mountPoint) => tarCopy(mountPoint, target))
}

/** GNU tar flags that keep everything a root fs has: xattrs (capabilities), ACLs, numeric owners. */
export const TAR_FLAGS = ['--xattrs', '--xattrs-include=*', '--acls', '--numeric-owner']

async function tarCopy(from: string, to: string): Promise<void> {
  const pack = startCommand('tar', [...TAR_FLAGS, '-C', from, '-cf', '-', '.'], { stdout: 'pipe' })
  const unpack = startCommand('tar', [...TAR_FLAGS, '-xpf', '-', '-C', to], { stdin: 'pipe', stdout: 'ignore' })
  pack.stdout!.pipe(unpack.stdin!)
  const failed = (await Promise.allSettled([pack.done, unpack.done])).flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []))
  if (failed.length === 0) return
  // Both sides' stderr: when one tar dies, the other only sees a broken pipe.
  const said = failed.map((error) => (error instanceof CommandError ? error.output.stderr.trim() : '')).filter(Boolean)
  throw new BuildError('INVALID_IMAGE', `Copying the root filesystem failed: ${said.join('\n') || failed[0]!.message}`)
}

/** The root fs size for content: used × 1.15 + 64 MiB, in whole 4 MiB (pi-gen uses +20 % + 200 MB). */
export function sizeForContent(usedBytes: number): number {
  return Math.ceil((usedBytes * 1.15 + 64 * MIB) / ALIGN) * ALIGN
}

/** What makes a repacked root fs the same bytes every time (docs/reproducible.md). */
export interface RepackPins {
  /** Every file time later than this is clamped to it; the fs's own times are it. */
  time: Date
  /** ext4's directory hash seed (a UUID): derived from the recipe and source, not random. */
  hashSeed: string
}

/**
 * Writes `out`: the source image's partition table and boot partition, then a new root
 * filesystem made from `rootDir`. The root partition must be the last one (as on every
 * Raspberry Pi image); MBR only for now.
 */
export async function repackImage(source: string, rootDir: string, out: string, pins?: RepackPins): Promise<{ rootBytes: number; usedBytes: number }> {
  const handle = await open(source, 'r')
  let table
  try {
    const read = async (position: number, length: number) => (await handle.read(Buffer.alloc(length), 0, length, position)).buffer
    table = await readPartitionTable(read, (await handle.stat()).size)
  } finally {
    await handle.close()
  }
  if (table.scheme !== 'mbr') throw new BuildError('INVALID_IMAGE', 'Resizing GPT images is not supported yet: only MBR (as Raspberry Pi OS uses)')
  const root = table.partitions.at(-1)!
  const properties = await readExtProperties(source, root)
  if (!properties.uuid) throw new BuildError('INVALID_IMAGE', `The last partition of ${source} is not an ext filesystem`)

  // The scan only estimates what ext4 will use: build once with room, measure the blocks
  // really used, and build again at exactly the size they call for.
  const blockSize = properties.blockSize || 4096
  const tree = await scanTree(rootDir, { blockSize, clampTo: pins?.time })
  const fsFile = `${out}.rootfs.partial`
  let rootBytes = sizeForContent(tree.bytes * 1.1)
  let used: number
  try {
    await makeExt4(fsFile, rootDir, properties, tree.entries, rootBytes, pins)
    used = await extUsedBytes(fsFile)
    if (sizeForContent(used) < rootBytes) {
      rootBytes = sizeForContent(used)
      await makeExt4(fsFile, rootDir, properties, tree.entries, rootBytes, pins)
    }
    if (pins) await pinInodeTimes(fsFile, pins.time)
    // Boot area as it was (MBR, gap, boot partition), then the new root filesystem.
    await runCommand('dd', [`if=${source}`, `of=${out}`, 'bs=4M', `count=${root.offset}`, 'iflag=count_bytes', 'status=none'])
    await runCommand('dd', [`if=${fsFile}`, `of=${out}`, 'bs=4M', `seek=${root.offset}`, 'oflag=seek_bytes', 'conv=notrunc,sparse', 'status=none'])
    await runCommand('truncate', ['-s', String(root.offset + rootBytes), out])
    await resizeLastPartition(out, root, rootBytes)
  } finally {
    await rm(fsFile, { force: true })
  }
  return { rootBytes, usedBytes: used }
}

async function makeExt4(file: string, rootDir: string, properties: ExtProperties, files: number, bytes: number, pins?: RepackPins): Promise<void> {
  await rm(file, { force: true })
  const extended = ['lazy_itable_init=0', 'lazy_journal_init=0', ...(pins ? [`hash_seed=${pins.hashSeed}`] : [])]
  // mke2fs -d adds each folder's entries in alphasort order, which follows LC_COLLATE.
  const env = { ...process.env, LC_ALL: 'C', ...(pins ? fakeTimeEnv(pins.time) : {}) }
  await runCommand('mke2fs', [
    '-q', '-F', '-t', 'ext4',
    '-b', String(properties.blockSize || 4096),
    '-I', String(properties.inodeSize || 256),
    '-N', String(Math.ceil(files * 1.3) + 4096),
    '-O', ['none', ...properties.features].join(','),
    '-U', properties.uuid,
    '-L', properties.label,
    '-E', extended.join(','),
    '-d', rootDir,
    file, `${bytes / 1024}k`,
  ], { env })
}

/** Bytes in use on an ext filesystem (data, metadata, journal), as dumpe2fs counts them. */
async function extUsedBytes(file: string): Promise<number> {
  const { stdout } = await runCommand('dumpe2fs', ['-h', file])
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(stdout)?.[1] ?? Number.NaN)
  return (field('Block count') - field('Free blocks')) * field('Block size')
}

/** sfdisk -N changes only that partition: the disk id, and with it every PARTUUID, stays. */
async function resizeLastPartition(image: string, root: Partition, bytes: number): Promise<void> {
  const script = `start=${root.offset / SECTOR}, size=${bytes / SECTOR}\n`
  await runCommand('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', '-N', String(root.index), image], { input: script, stdout: 'ignore' }).catch((error: unknown) => {
    if (!(error instanceof CommandError)) throw error
    throw new BuildError('INVALID_IMAGE', `sfdisk could not resize the root partition: ${error.output.stderr.trim() || error.message}`)
  })
}

