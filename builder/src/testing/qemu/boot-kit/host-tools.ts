/** The host tools the boot kit is made with (apt, dpkg-deb), run with errors a person can act on. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { findExecutable } from '../../../util/tools'

/** Each tool the kit runs → the Debian package that provides it. */
export const KIT_TOOLS: Record<string, string> = { 'apt-get': 'apt', 'apt-cache': 'apt', 'dpkg-deb': 'dpkg' }

const execFileAsync = promisify(execFile)

/** Runs `file args`; rejects with `label` (the command as a person would type it) and the end of stderr. */
export async function runTool(file: string, args: string[], options: { cwd?: string; label?: string } = {}): Promise<string> {
  const found = findExecutable(file)
  if (!found) throw new Error(`${file} is not installed (Debian package ${KIT_TOOLS[file] ?? file})`)
  try {
    const { stdout } = await execFileAsync(found, args, { cwd: options.cwd, maxBuffer: 256 << 20, encoding: 'utf8' })
    return stdout
  } catch (error) {
    const { stderr } = error as { stderr?: string }
    const tail = (stderr ?? '').trimEnd().split('\n').slice(-15).join('\n')
    throw new Error(`${options.label ?? `${file} ${args.join(' ')}`} failed${tail ? `:\n${tail}` : ''}`, { cause: error })
  }
}
