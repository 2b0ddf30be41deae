/**
 * For tests: look at disk images only with tools that are not ours (sfdisk, dd, mtools,
 * debugfs, fsck.fat, e2fsck), so a bug in our reader cannot hide a bug in our writer.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

export interface SfdiskPartition {
  start: number
  size: number
  type: string
}

export function sfdiskTable(image: string): { id: string; partitions: SfdiskPartition[] } {
  return (JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' })) as { partitiontable: { id: string; partitions: SfdiskPartition[] } })
    .partitiontable
}

/** Copies partition `index` (1-based) out of the image with dd. */
export function extractPartition(image: string, index: number, target: string): string {
  const partition = sfdiskTable(image).partitions[index - 1]!
  execFileSync('dd', [`if=${image}`, `of=${target}`, 'bs=512', `skip=${partition.start}`, `count=${partition.size}`, 'status=none'])
  return target
}

export function mtype(fat: string, path: string): string {
  return execFileSync('mtype', ['-i', fat, `::${path}`], { encoding: 'utf8' })
}

/** Long names in a FAT directory, as mtools lists them. */
export function mls(fat: string, dir: string): string[] {
  const out = execFileSync('mdir', ['-b', '-i', fat, `::${dir}`], { encoding: 'utf8' })
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/^::/, '').replace(/\/$/, '').split('/').pop()!)
    .sort()
}

export function debugfs(ext: string, request: string): string {
  return execFileSync('debugfs', ['-R', request, ext], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
}

export function extStat(ext: string, path: string): { type: string; mode: number; uid: number; gid: number } | null {
  const out = debugfs(ext, `stat ${path}`)
  const type = /Type: (\S+)/.exec(out)?.[1]
  if (!type) return null
  return {
    type,
    mode: Number.parseInt(/Mode:\s+(\d+)/.exec(out)![1]!, 8),
    uid: Number(/User:\s+(\d+)/.exec(out)![1]),
    gid: Number(/Group:\s+(\d+)/.exec(out)![1]),
  }
}

export function fsckFat(fat: string): { ok: boolean; output: string } {
  const run = spawnSync('fsck.fat', ['-n', fat], { encoding: 'utf8' })
  const output = `${run.stdout}${run.stderr}`
  return { ok: run.status === 0 && !/differ|wrong|Fixing|Auto-correcting/i.test(output), output }
}

export function e2fsck(ext: string): { ok: boolean; output: string } {
  const run = spawnSync('e2fsck', ['-fn', ext], { encoding: 'utf8' })
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` }
}

export function sha256sum(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!
}

export interface DiskPartition {
  type: string
  filesystem: 'fat' | 'ext4' | 'none'
  mib: number
  /** For ext4: a folder to fill it from (mke2fs -d). */
  content?: string
}

/** A small disk image made by sfdisk, mkfs.vfat and mke2fs (not by us). */
export function makeDisk(file: string, partitions: DiskPartition[]): string {
  const totalMib = 4 + partitions.reduce((sum, p) => sum + p.mib, 0)
  execFileSync('truncate', ['-s', `${totalMib}M`, file])
  let start = 8192
  const script = ['label: dos', 'label-id: 0x0badc0de']
  const placed = partitions.map((partition) => {
    const sectors = partition.mib * 2048
    script.push(`start=${start}, size=${sectors}, type=${partition.type}`)
    const at = start
    start += sectors
    return { ...partition, at, sectors }
  })
  execFileSync('sfdisk', ['--quiet', file], { input: `${script.join('\n')}\n` })
  for (const partition of placed) {
    if (partition.filesystem === 'none') continue
    const part = `${file}.part`
    execFileSync('truncate', ['-s', `${partition.mib}M`, part])
    if (partition.filesystem === 'fat') execFileSync('mkfs.vfat', ['-F', '32', '-n', 'BOOTFS', part], { stdio: 'ignore' })
    else execFileSync('mke2fs', ['-q', '-t', 'ext4', '-L', 'rootfs', ...(partition.content ? ['-d', partition.content] : []), part])
    execFileSync('dd', [`if=${part}`, `of=${file}`, 'bs=512', `seek=${partition.at}`, 'conv=notrunc', 'status=none'])
    execFileSync('rm', [part])
  }
  return file
}

/**
 * A small two-partition disk (FAT boot, ext4 root) whose root holds `payloadMib` of random bytes:
 * what a trimmed flash writes is mostly that, so a throttled card takes a predictable time.
 */
export async function payloadDisk(dir: string, sizes: { payloadMib: number; fatMib: number; rootMib: number }): Promise<string> {
  const content = path.join(dir, 'payload-root')
  await mkdir(content)
  await writeFile(path.join(content, 'payload'), randomBytes(sizes.payloadMib << 20))
  return makeDisk(path.join(dir, 'base.img'), [
    { type: 'c', filesystem: 'fat', mib: sizes.fatMib },
    { type: '83', filesystem: 'ext4', mib: sizes.rootMib, content },
  ])
}

/** A file on a card's boot partition, copied out first past the page cache (mtools cannot take a loop device's geometry). */
export function bootFileOnCard(disk: string, file: string, scratchDir: string): string {
  const { start, size } = sfdiskTable(disk).partitions[0]!
  const fat = path.join(scratchDir, 'card.fat')
  execFileSync('dd', [`if=${disk}`, `of=${fat}`, 'bs=512', `skip=${start}`, `count=${size}`, 'iflag=direct', 'status=none'])
  return execFileSync('mtype', ['-i', fat, `::${file}`], { encoding: 'utf8' })
}
