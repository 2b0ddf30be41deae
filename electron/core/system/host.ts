/** Small facts about the host, found by looking (never assumed from the platform name). */
import { execFile } from 'node:child_process'

export interface CommandResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command and reports how it ended; never throws (a missing binary is code null). */
export function runCommand(file: string, args: string[], timeoutMs = 10_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

export { findExecutable } from '../../../builder/src/util/tools'

/** Root on POSIX; an elevated token on Windows (`net session` only succeeds elevated). */
export async function isElevated(): Promise<boolean> {
  if (process.platform === 'win32') return (await runCommand('net', ['session'], 5_000)).code === 0
  return process.getuid?.() === 0
}
