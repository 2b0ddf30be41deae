/**
 * Starts the writer process and opens its channel: JSON lines over the writer's own stdin
 * and stdout, nothing to find or forge in the file system. Where an elevation mechanism
 * cannot hand over pipes (macOS/Windows prompts), the writer connects back over a private
 * socket instead (writer-rendezvous.ts). Raw disks need rights: elevation.ts plans the command.
 */
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { forEachBoundedLine, type BoundedLineHandlers } from '../../../builder/src/util/bounded-lines'
import { CommandError, startCommand } from '../../../builder/src/util/process'
import { findExecutable } from '../../../builder/src/util/tools'
import { OrchardError } from '@common/errors'
import { MAX_LINE_CHARS } from '@common/writer-wire'
import { isElevated } from '../system/host'
import { elevationRefusal, planElevation, type ElevationPlan, type WriterCommand } from './elevation'
import { LineFeed } from './line-feed'
import { runThroughSudoPrompt } from './sudo-prompt-run'
import { openRendezvous } from './writer-rendezvous'

export type { WriterCommand }

/** The writer run from source through tsx; the packaged app passes its built writer instead. */
export function defaultWriterCommand(): WriterCommand {
  const entry = fileURLToPath(new URL('../../writer/index.ts', import.meta.url))
  return { command: process.execPath, args: ['--import', 'tsx', entry] }
}

export interface WriterExit {
  code: number | null
  signal: NodeJS.Signals | null
  /** The end of its stderr. */
  stderr: string
}

/** The writer's raw channel: lines in both directions. */
export interface WriterChannel {
  /** None where the OS prompt runs it (macOS/Windows). */
  child: ChildProcess | undefined
  write(line: string): void
  /** The writer's lines (buffered until read). */
  read(reader: BoundedLineHandlers): void
  /** Closes the writer's input: it exits at once, abandoning a running job. */
  end(): void
  /** Ends it by signal too, where this process may (not when it runs elevated). */
  kill(): void
  /** Why it ended before it was ready when the elevation itself was refused (FORBIDDEN), else null. */
  refusal(exit: WriterExit): OrchardError | null
  exited: Promise<WriterExit>
}

export interface SpawnOptions {
  /** 'socket': the writer connects back (--connect) instead of using its stdin/stdout. */
  channel?: 'stdio' | 'socket'
}

/** `drives`: the drives it may write (it refuses others); none: it needs no rights. */
export async function spawnWriter(writer: WriterCommand, drives: string[], options: SpawnOptions = {}): Promise<WriterChannel> {
  const platform = process.platform
  const elevated = drives.length === 0 || (await isElevated())
  // The macOS/Windows prompts hand over no pipes: the writer connects back instead.
  const promptWithoutPipes = !elevated && (platform === 'darwin' || platform === 'win32')
  const rendezvous = options.channel === 'socket' || promptWithoutPipes ? await openRendezvous() : null
  let plan: ElevationPlan
  try {
    const connect = rendezvous ? { socket: rendezvous.socket, tokenFile: rendezvous.tokenFile, callerUid: process.getuid?.() ?? 0 } : undefined
    plan = planElevation({ writer, drives, platform, elevated, pkexec: findExecutable('pkexec'), ...(connect && { connect }) })
  } catch (error) {
    rendezvous?.close()
    throw error
  }
  const run =
    plan.kind === 'sudo-prompt'
      ? { child: undefined, stdin: undefined, stdout: undefined, done: runThroughSudoPrompt(plan) }
      : startCommand(plan.command, plan.args, {
          // pkexec clears the environment itself; what the writer needs is on its command line.
          env: { ...process.env, ...(plan.kind === 'direct' ? plan.env : {}) },
          ...(rendezvous ? { stdout: 'ignore' as const } : { stdin: 'pipe' as const, stdout: 'pipe' as const }),
        })
  const exited = run.done.then(
    ({ stderr }): WriterExit => ({ code: 0, signal: null, stderr: lastOf(stderr) }),
    (error: unknown): WriterExit =>
      error instanceof CommandError
        ? { code: error.exitCode, signal: error.signal, stderr: lastOf(error.output.stderr) }
        : { code: null, signal: null, stderr: lastOf(`${(error as Error).message}\n${(error as { stderr?: string }).stderr ?? ''}`) },
  )
  // An elevated writer is root's: only closing its input ends it.
  const kill = () => {
    if (plan.kind === 'direct') run.child?.kill('SIGKILL')
  }
  const refusal = (exit: WriterExit) => elevationRefusal(plan, exit.code, exit.stderr)

  if (!rendezvous) {
    const lines = new LineFeed()
    forEachBoundedLine(run.stdout!, MAX_LINE_CHARS, lines)
    return { child: run.child, write: (line) => void run.stdin!.write(line), read: (reader) => lines.read(reader), end: () => run.stdin!.end(), kill, refusal, exited }
  }
  const { socket, lines } = await rendezvous.accept(exited).catch((error: unknown) => {
    kill()
    throw error
  })
  socket.on('error', () => socket.destroy()) // a killed writer resets the socket; its exit is what core reports
  return { child: run.child, write: (line) => void socket.write(line), read: (reader) => lines.read(reader), end: () => socket.end(), kill, refusal, exited }
}

const lastOf = (stderr: string) => stderr.slice(-4000).trim()
