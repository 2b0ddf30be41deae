/**
 * Full builds change the root filesystem as a folder; this turns it back into an image.
 * The root fs is read out losslessly (fuse2fs + tar keeps owners, modes, setuid, device
 * nodes, hard links and capability xattrs; debugfs rdump would drop them), and rebuilt
 * with `mke2fs -d` at a size computed from its content, keeping the original's UUID,
 * label and features; the boot partition and the disk id stay, so PARTUUIDs in
 * cmdline.txt and fstab still match.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, open, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { BuildError } from '../util/errors'
import { readPartitionTable, SECTOR, type Partition } from '../image/partitions'
import { findExecutable } from '../util/tools'

const run = promisify(execFile)
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
  const { stdout } = await run('dumpe2fs', ['-h', `${image}?offset=${partition.offset}`], { maxBuffer: 1 << 20 })
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
    await run(fuse2fs, ['-o', `ro,offset=${partition.offset}`, image, mountPoint])
    try {
      return await fn(mountPoint)
    } finally {
      await run('umount', [mountPoint]).catch(() => run('umount', ['-l', mountPoint]))
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

function tarCopy(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const pack = spawn('tar', [...TAR_FLAGS, '-C', from, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const unpack = spawn('tar', [...TAR_FLAGS, '-xpf', '-', '-C', to], { stdio: ['pipe', 'ignore', 'pipe'] })
    let errors = ''
    for (const child of [pack, unpack]) child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()))
    pack.stdout!.pipe(unpack.stdin!)
    let pending = 2
    const done = (code: number | null) => {
      if (code !== 0) return reject(new BuildError('INVALID_IMAGE', `Copying the root filesystem failed: ${errors.trim() || `tar exited with ${code}`}`))
      if (--pending === 0) resolve()
    }
    pack.once('close', done)
    unpack.once('close', done)
  })
}

/** The root fs size for content: used × 1.15 + 64 MiB, in whole 4 MiB (pi-gen uses +20 % + 200 MB). */
export function sizeForContent(usedBytes: number): number {
  return Math.ceil((usedBytes * 1.15 + 64 * MIB) / ALIGN) * ALIGN
}

async function duBytes(dir: string): Promise<number> {
  return Number((await run('du', ['-s', '--block-size=1', dir])).stdout.split('\t')[0])
}

async function fileCount(dir: string): Promise<number> {
  return Number((await run('sh', ['-c', 'find "$1" -xdev | wc -l', 'count', dir])).stdout.trim())
}

/**
 * Writes `out`: the source image's partition table and boot partition, then a new root
 * filesystem made from `rootDir`. The root partition must be the last one (as on every
 * Raspberry Pi image); MBR only for now.
 */
export async function repackImage(source: string, rootDir: string, out: string): Promise<{ rootBytes: number; usedBytes: number }> {
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

  // du over the folder only estimates what ext4 will use: build once with room, measure the
  // blocks really used, and build again at exactly the size they call for.
  const files = await fileCount(rootDir)
  const fsFile = `${out}.rootfs.partial`
  let rootBytes = sizeForContent((await duBytes(rootDir)) * 1.1)
  let used: number
  try {
    await makeExt4(fsFile, rootDir, properties, files, rootBytes)
    used = await extUsedBytes(fsFile)
    if (sizeForContent(used) < rootBytes) {
      rootBytes = sizeForContent(used)
      await makeExt4(fsFile, rootDir, properties, files, rootBytes)
    }
    // Boot area as it was (MBR, gap, boot partition), then the new root filesystem.
    await run('dd', [`if=${source}`, `of=${out}`, 'bs=4M', `count=${root.offset}`, 'iflag=count_bytes', 'status=none'])
    await run('dd', [`if=${fsFile}`, `of=${out}`, 'bs=4M', `seek=${root.offset}`, 'oflag=seek_bytes', 'conv=notrunc,sparse', 'status=none'])
    await run('truncate', ['-s', String(root.offset + rootBytes), out])
    await resizeLastPartition(out, root, rootBytes)
  } finally {
    await rm(fsFile, { force: true })
  }
  return { rootBytes, usedBytes: used }
}

async function makeExt4(file: string, rootDir: string, properties: ExtProperties, files: number, bytes: number): Promise<void> {
  await rm(file, { force: true })
  await run('mke2fs', [
    '-q', '-F', '-t', 'ext4',
    '-b', String(properties.blockSize || 4096),
    '-I', String(properties.inodeSize || 256),
    '-N', String(Math.ceil(files * 1.3) + 4096),
    '-O', ['none', ...properties.features].join(','),
    '-U', properties.uuid,
    '-L', properties.label,
    '-E', 'lazy_itable_init=0,lazy_journal_init=0',
    '-d', rootDir,
    file, `${bytes / 1024}k`,
  ])
}

/** Bytes in use on an ext filesystem (data, metadata, journal), as dumpe2fs counts them. */
async function extUsedBytes(file: string): Promise<number> {
  const { stdout } = await run('dumpe2fs', ['-h', file], { maxBuffer: 1 << 20 })
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(stdout)?.[1] ?? Number.NaN)
  return (field('Block count') - field('Free blocks')) * field('Block size')
}

/** sfdisk -N changes only that partition: the disk id, and with it every PARTUUID, stays. */
async function resizeLastPartition(image: string, root: Partition, bytes: number): Promise<void> {
  const script = `start=${root.offset / SECTOR}, size=${bytes / SECTOR}\n`
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', '-N', String(root.index), image], { stdio: ['pipe', 'ignore', 'pipe'] })
    let errors = ''
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()))
    child.once('close', (code) => (code === 0 ? resolve() : reject(new BuildError('INVALID_IMAGE', `sfdisk could not resize the root partition: ${errors.trim()}`))))
    child.stdin!.end(script)
  })
}

