/**
 * Runs shell steps as ARM code in a root filesystem folder: chroot with qemu-user-static
 * through binfmt (flag F: the interpreter is opened by the kernel, nothing is copied in).
 * Linux and root only (CI runners, CodeBuild). What apt needs is bind-mounted for the
 * run and undone on every way out, including a failed or cancelled step.
 */
import { existsSync, readFileSync } from 'node:fs'
import { copyFile, lstat, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { BuildError } from '../util/errors'
import { CommandError, runCommand } from '../util/process'
import { STEP_ENV } from './plan'

export interface StepOptions {
  /** Names the step in errors and logs. */
  name: string
  onLine?: (line: string) => void
  signal?: AbortSignal
}

export type RunStep = (script: string, options: StepOptions) => Promise<void>

const BINFMT: Record<string, string> = { arm64: 'qemu-aarch64', armhf: 'qemu-arm' }

export function chrootUnavailableReason(arch: 'arm64' | 'armhf'): string | null {
  if (process.platform !== 'linux') return 'chroot builds run on Linux'
  if (process.getuid?.() !== 0) return 'chroot builds need root'
  const entry = `/proc/sys/fs/binfmt_misc/${BINFMT[arch]}`
  if (!existsSync(entry)) return `${BINFMT[arch]} is not registered with binfmt_misc (apt-get install qemu-user-static binfmt-support)`
  const text = readFileSync(entry, 'utf8')
  if (!/^enabled$/m.test(text) || !/^flags: .*F/m.test(text)) return `${BINFMT[arch]} must be enabled with flag F (update-binfmts --enable ${BINFMT[arch]})`
  return null
}

export async function withChroot<T>(root: string, arch: 'arm64' | 'armhf', fn: (runStep: RunStep) => Promise<T>): Promise<T> {
  const reason = chrootUnavailableReason(arch)
  if (reason) throw new BuildError('UNAVAILABLE', `Cannot run ARM steps here: ${reason}`)
  const undo: (() => Promise<unknown>)[] = []
  try {
    for (const [source, target, args] of [
      ['proc', 'proc', ['-t', 'proc']],
      ['sysfs', 'sys', ['-t', 'sysfs']],
      ['/dev', 'dev', ['--rbind']],
    ] as const) {
      const mountPoint = path.join(root, target)
      await runCommand('mount', [...args, source, mountPoint])
      undo.push(() => runCommand('umount', ['-R', mountPoint]).catch(() => runCommand('umount', ['-R', '-l', mountPoint])))
    }
    undo.push(await useHostResolvConf(root))
    return await fn((script, options) => runStep(root, script, options))
  } finally {
    for (const step of undo.reverse()) await step().catch(() => {})
  }
}

/** apt inside needs DNS: the host's resolv.conf for the run, the image's own afterwards. */
async function useHostResolvConf(root: string): Promise<() => Promise<void>> {
  const file = path.join(root, 'etc/resolv.conf')
  const saved = `${file}.orchard-saved`
  const had = await lstat(file).then(() => true, () => false)
  if (had) await rename(file, saved)
  await copyFile('/etc/resolv.conf', file)
  return async () => {
    await rm(file, { force: true })
    if (had) await rename(saved, file)
  }
}

async function runStep(root: string, script: string, { name, onLine, signal }: StepOptions): Promise<void> {
  if (signal?.aborted) throw new BuildError('CANCELLED', `Cancelled before step "${name}"`)
  try {
    // Its own UTS namespace (a step that sets the hostname must not change the host's) and
    // process group (cancel ends everything the step started).
    await runCommand('unshare', ['--uts', 'chroot', root, '/bin/sh', '-ec', script], {
      env: STEP_ENV,
      processGroup: true,
      signal,
      onLine: (line) => onLine?.(line),
      label: `Step "${name}"`,
    })
  } catch (error) {
    if (!(error instanceof CommandError) || error.cause) throw error
    if (error.cancelled) throw new BuildError('CANCELLED', `Cancelled during step "${name}"`)
    const how = error.signal ? `killed by ${error.signal}` : `exit ${error.exitCode}`
    throw new BuildError('STEP_FAILED', `Step "${name}" failed (${how}):\n${error.tail}`, { step: name, exitCode: error.exitCode })
  }
}
