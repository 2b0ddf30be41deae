/** Small facts about the host, found by looking (never assumed from the platform name). */
import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import path from 'node:path'

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

// sbin holds mkfs.vfat, debugfs and losetup but is not on every user's PATH.
const EXTRA_DIRS = process.platform === 'win32' ? [] : ['/usr/local/sbin', '/usr/sbin', '/sbin']

/** The absolute path of an executable on PATH (plus the sbin dirs), or null. */
export async function findExecutable(name: string): Promise<string | null> {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS]
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : ['']
  for (const dir of dirs) {
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension)
      try {
        await access(candidate, constants.X_OK)
        return candidate
      } catch {
        // not here; keep looking
      }
    }
  }
  return null
}

/** Root on POSIX; an elevated token on Windows (`net session` only succeeds elevated). */
export async function isElevated(): Promise<boolean> {
  if (process.platform === 'win32') return (await runCommand('net', ['session'], 5_000)).code === 0
  return process.getuid?.() === 0
}
