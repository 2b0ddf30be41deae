/** The host tools the boot kit is made with (apt, dpkg-deb), run with errors a person can act on. */
import { runCommand } from '../../../util/process'
import { findExecutable } from '../../../util/tools'

/** Each tool the kit runs → the Debian package that provides it. */
export const KIT_TOOLS: Record<string, string> = { 'apt-get': 'apt', 'apt-cache': 'apt', 'dpkg-deb': 'dpkg' }

/** Runs `file args` and returns its stdout; a missing tool names its package, a failure `label` and its last lines. */
export async function runTool(file: string, args: string[], options: { cwd?: string; label?: string } = {}): Promise<string> {
  const found = findExecutable(file)
  if (!found) throw new Error(`${file} is not installed (Debian package ${KIT_TOOLS[file] ?? file})`)
  return (await runCommand(found, args, { cwd: options.cwd, label: options.label })).stdout
}
