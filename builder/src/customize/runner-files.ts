/**
 * The files builder/rootfs/ installs into an image and how the builder hooks the
 * startup-scripts runner into boot. Contract: builder/rootfs/README.md.
 */
import { fileURLToPath } from 'node:url'

/** builder/rootfs: its tree mirrors where the files go in the image's root filesystem. */
export const ROOTFS_DIR = fileURLToPath(new URL('../../rootfs', import.meta.url))

/** The startup-scripts folders on the boot partition (the runner's contract). */
export const STARTUP_DIRS = ['run-once', 'every-time', 'ran-once', 'failed', 'logs', 'resources'] as const

/** The generated first-boot script in run-once/: every feature's section. */
export const FIRST_RUN_SCRIPT = 'first_run_setup.sh'

/** Where the runner lives in the image (mode 0755). */
export const RUNNER_PATH = '/usr/local/lib/orchard/startup-runner'

/** The systemd unit in /etc/systemd/system; enable it (multi-user.target.wants). */
export const UNIT_NAME = 'orchard-startup.service'

/**
 * The /etc/rc.local line for images without systemd. It does nothing when booted by
 * systemd (the unit runs the runner then), and `timeout` bounds the whole run so a
 * stuck script cannot hold boot forever: the runner already limits each script (600 s
 * by default), the outer hour covers several of them, TERM lets the runner record the
 * script it stops and -k 60 ends it for good. `|| true` because rc.local runs with -e.
 */
export const RC_LOCAL_LINE = `[ -d /run/systemd/system ] || timeout -k 60 3600 ${RUNNER_PATH} </dev/null || true`

const STANDARD_RC_LOCAL = ['#!/bin/sh -e', '#', '# rc.local', '#', '# This script is executed at the end of each multiuser runlevel.', '']

/**
 * /etc/rc.local with the runner hook before its first unindented `exit 0` (where a
 * straight-line rc.local ends; at the end when there is none), or a standard one when
 * it is missing or blank. Idempotent.
 * The builder must leave the file executable (0755), or init skips it.
 */
export function rcLocalWithHook(existing: string | null): string {
  if (existing === null || existing.trim() === '') {
    return [...STANDARD_RC_LOCAL, RC_LOCAL_LINE, '', 'exit 0', ''].join('\n')
  }
  const lines = existing.split('\n')
  if (lines.some((line) => line.trim() === RC_LOCAL_LINE)) return existing
  // An indented `exit 0` sits inside a block and does not end the script.
  const exitAt = lines.findIndex((line) => line.trimEnd() === 'exit 0')
  if (exitAt === -1) {
    const body = existing.endsWith('\n') ? existing : `${existing}\n`
    return `${body}${RC_LOCAL_LINE}\n`
  }
  lines.splice(exitAt, 0, RC_LOCAL_LINE)
  return lines.join('\n')
}
