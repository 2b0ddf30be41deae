/** For tests: loop devices over image files, always detached again. */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export function loopUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for loop devices'
  if (!existsSync('/dev/loop-control')) return 'no /dev/loop-control'
  return null
}

export function attachLoop(file: string, options: { readOnly?: boolean } = {}): string {
  return execFileSync('losetup', ['--find', '--show', ...(options.readOnly ? ['--read-only'] : []), file], { encoding: 'utf8' }).trim()
}

export function detachLoop(device: string): void {
  spawnSync('losetup', ['--detach', device])
}
