/** For tests: loop devices over image files, always detached again. */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'

export function loopUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for loop devices'
  if (!existsSync('/dev/loop-control')) return 'no /dev/loop-control'
  return null
}

/** `partitions`: with a node per partition (/dev/loop3p1), as `losetup -P` makes them where the kernel scans. */
export function attachLoop(file: string, options: { readOnly?: boolean; partitions?: boolean } = {}): string {
  const flags = [...(options.readOnly ? ['--read-only'] : []), ...(options.partitions ? ['--partscan'] : [])]
  const device = execFileSync('losetup', ['--find', '--show', ...flags, file], { encoding: 'utf8' }).trim()
  // Some kernels scan nothing for losetup -P (no partition nodes appear): partx adds them.
  if (options.partitions && !isBlockDevice(`${device}p1`)) execFileSync('partx', ['-a', device])
  return device
}

/** Partition nodes go too (partx -d): a loop number reused later must not show old partitions. */
export function detachLoop(device: string): void {
  if (isBlockDevice(`${device}p1`)) spawnSync('partx', ['-d', device])
  spawnSync('losetup', ['--detach', device])
}

const isBlockDevice = (file: string) => statSync(file, { throwIfNoEntry: false })?.isBlockDevice() === true
