/**
 * Running a program (never through a shell) and collecting what it says. Failure is one
 * CommandError naming the command, how it ended (exit code or signal, or cancelled) and
 * the last lines it printed; callers wrap it in their own BuildError where a code is due.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { formatBytes } from './bytes'
import { forEachLine, LastLines, splitLines } from './lines'

/** More collected stdout than this fails the command (it is meant for answers, not data). */
const MAX_STDOUT = 64e6
/** Only the end of stderr is kept: it is for saying why. */
const STDERR_KEPT = 64_000
const TAIL_LINES = 20

export interface CommandOptions {
  cwd?: string
  /** The whole environment; this process's by default. */
  env?: NodeJS.ProcessEnv
  /** Written to stdin, which is then closed. */
  input?: string | Uint8Array
  /** `pipe`: `stdin` of the running command is the caller's to write and end. */
  stdin?: 'pipe'
  /**
   * `collect` (default): the result's `stdout`, up to 64 MB; `pipe`: `stdout` of the running
   * command is the caller's to read; a file descriptor: written there directly, no byte
   * through JavaScript; `ignore`. With `onLine`, stdout goes to it instead.
   */
  stdout?: 'collect' | 'pipe' | 'ignore' | number
  /**
   * Each non-blank line of stdout and stderr as it comes (progress, logs). The error then
   * quotes the last lines of both, as a person following the log saw them.
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  /** Aborting kills the command (SIGKILL) and fails it as cancelled. */
  signal?: AbortSignal
  /** Its own process group, killed as one: for scripts whose children must not outlive a cancel. */
  processGroup?: boolean
  /** How errors name the command; by default the program's name and its arguments. */
  label?: string
}

export interface CommandOutput {
  stdout: string
  /** Its last 64 kB (what says why it failed). */
  stderr: string
}

export class CommandError extends Error {
  override readonly name = 'CommandError'
  constructor(
    message: string,
    /** As `label` names it. */
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly cancelled: boolean,
    /** Its last lines: stderr's, or with `onLine` both streams'. */
    readonly tail: string,
    readonly output: CommandOutput,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export interface RunningCommand {
  child: ChildProcess
  /** With `stdout: 'pipe'`. */
  stdout: Readable | null
  /** With `stdin: 'pipe'`. */
  stdin: Writable | null
  /** Resolves when it exited 0; otherwise rejects with a CommandError. Never unhandled on its own. */
  done: Promise<CommandOutput>
}

/** Starts `file args`; for commands whose streams the caller wires (pipes, long-running servers). */
export function startCommand(file: string, args: readonly string[], options: CommandOptions = {}): RunningCommand {
  const label = options.label ?? [path.basename(file), ...args].join(' ')
  const stdoutMode = options.onLine ? 'lines' : (options.stdout ?? 'collect')
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: options.processGroup ?? false,
    windowsHide: true, // no console window flashing up behind the app
    stdio: [
      options.stdin === 'pipe' || options.input !== undefined ? 'pipe' : 'ignore',
      typeof stdoutMode === 'number' ? stdoutMode : stdoutMode === 'ignore' ? 'ignore' : 'pipe',
      'pipe',
    ],
  })

  const tail = new LastLines(TAIL_LINES)
  let stdout = ''
  let stderr = ''
  let tooMuch = false
  let cancelled = false
  const kill = () => {
    if (options.processGroup && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL')
        return
      } catch {
        // the group is gone already; the child itself below
      }
    }
    child.kill('SIGKILL')
  }

  const streamLines = (stream: Readable, name: 'stdout' | 'stderr') =>
    forEachLine(
      stream,
      (line) => {
        tail.push(line)
        options.onLine!(line, name)
      },
      { trim: true },
    )

  child.stderr!.setEncoding('utf8')
  if (options.onLine) streamLines(child.stderr!, 'stderr')
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT)
  })
  if (stdoutMode === 'lines') streamLines(child.stdout!, 'stdout')
  else if (stdoutMode === 'collect') {
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk
      if (stdout.length > MAX_STDOUT && !tooMuch) {
        tooMuch = true
        kill()
      }
    })
  }

  // A program that exits early closes its stdin (EPIPE on the caller's writes): its exit code tells.
  child.stdin?.on('error', () => {})
  if (options.input !== undefined) child.stdin!.end(options.input)

  const onAbort = () => {
    cancelled = true
    kill()
  }
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })

  let spawnError: Error | undefined
  child.once('error', (error) => (spawnError = error))
  const done = new Promise<CommandOutput>((resolve, reject) => {
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort)
      const output = { stdout, stderr }
      if (code === 0 && !cancelled && !tooMuch && !spawnError) return resolve(output)
      const lines = options.onLine ? tail.text() : lastLines(stderr)
      const how = spawnError
        ? `could not be started (${spawnError.message})`
        : cancelled
          ? 'was cancelled'
          : tooMuch
            ? `printed more than ${formatBytes(MAX_STDOUT, 0)}`
            : signal
              ? `was killed by ${signal}`
              : `exited with code ${code}`
      const error = new CommandError(`${label} ${how}${lines ? `:\n${lines}` : ''}`, label, spawnError ? null : code, signal, cancelled, lines, output, {
        cause: spawnError,
      })
      reject(error)
    })
  })
  done.catch(() => {}) // the caller awaits it; a caller that only kills the child must not crash the process
  return { child, stdout: stdoutMode === 'pipe' ? child.stdout : null, stdin: options.stdin === 'pipe' ? child.stdin : null, done }
}

/** Runs `file args` to its end: its output, or a CommandError. */
export function runCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandOutput> {
  return startCommand(file, args, options).done
}

function lastLines(text: string): string {
  return splitLines(text.trimEnd()).slice(-TAIL_LINES).join('\n')
}
