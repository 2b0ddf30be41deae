/**
 * A merged user-data checked by cloud-init's own schema (`cloud-init schema --config-file`),
 * where this machine has cloud-init (scripts/setup-system.sh installs it, disabled: it is
 * here for this check only). Without it the check is skipped and the build says so.
 * Its schema is the host's cloud-init version's, which may predate the image's: it accepts
 * unknown top-level keys, so keys only a newer cloud-init knows (such as Raspberry Pi OS's
 * `rpi:`) pass.
 */
import { rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { BuildError } from '../util/errors'
import { CommandError, runCommand } from '../util/process'
import { tempName } from '../util/temp'
import { findExecutable } from '../util/tools'

let versionOnce: Promise<string> | undefined

/** A line for the build log: what was checked with which cloud-init, or why nothing was. INVALID_RECIPE with cloud-init's words when invalid. */
export async function checkUserDataSchema(text: string, label: string, secrets: readonly string[]): Promise<string> {
  const cloudInit = findExecutable('cloud-init')
  if (!cloudInit) return `${label}: not checked against cloud-init's schema (cloud-init is not installed on this machine)`
  // Asked once per process: cloud-init takes a second or two to start.
  versionOnce ??= runCommand(cloudInit, ['--version']).then(
    (output) => `${output.stdout}${output.stderr}`.trim().split(/\s+/).pop() ?? '?',
    () => '?',
  )
  const version = await versionOnce
  const file = path.join(os.tmpdir(), tempName('orchard-user-data', '.yaml'))
  await writeFile(file, text, { mode: 0o600 })
  try {
    await runCommand(cloudInit, ['schema', '--config-file', file])
    return `${label}: valid under cloud-init ${version}'s schema`
  } catch (error) {
    if (!(error instanceof CommandError) || error.exitCode === null) throw error
    // Its answer names our temp file: name the user's instead.
    // cloud-init quotes the values it refuses, and the merged file holds the recipe's sealed secrets.
    const answer = secrets.filter(Boolean).reduce((text, secret) => text.split(secret).join('<secret>'), `${error.output.stdout}\n${error.output.stderr}`)
    const said = answer.split(file).join('user-data').trim().split('\n').filter(Boolean).slice(-12)
    throw new BuildError('INVALID_RECIPE', `${label}: merged with the recipe's settings, it is not valid under cloud-init ${version}'s schema:\n${said.map((line) => `  ${line}`).join('\n')}`, {
      problems: [{ path: label.split(' ')[0], message: said.join('; ') }],
    })
  } finally {
    await rm(file, { force: true })
  }
}
