/** Small facts about the host, found by looking (never assumed from the platform name). */
import { CommandError, runCommand as run } from '../../../builder/src/util/process'

export interface CommandResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command and reports how it ended; never throws (a missing binary, or one out of time, is code null). */
export async function runCommand(file: string, args: string[], timeoutMs = 10_000): Promise<CommandResult> {
  try {
    return { code: 0, ...(await run(file, args, { signal: AbortSignal.timeout(timeoutMs) })) }
  } catch (error) {
    if (error instanceof CommandError) return { code: error.exitCode, ...error.output }
    return { code: null, stdout: '', stderr: (error as Error).message }
  }
}

export { findExecutable } from '../../../builder/src/util/tools'

/** Root on POSIX; an elevated token on Windows (`net session` only succeeds elevated). */
export async function isElevated(): Promise<boolean> {
  if (process.platform === 'win32') return (await runCommand('net', ['session'], 5_000)).code === 0
  return process.getuid?.() === 0
}
