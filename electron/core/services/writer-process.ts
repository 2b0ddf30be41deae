/**
 * Starts the writer process and opens its channel: JSON lines over the writer's own stdin
 * and stdout, nothing to find or forge in the file system. Where an elevation mechanism
 * cannot hand over pipes (macOS/Windows prompts), the writer connects back over a private
 * socket instead (writer-rendezvous.ts). Raw disks need rights: `elevated()` decides the command.
 */
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { forEachBoundedLine, type BoundedLineHandlers } from '../../../builder/src/util/bounded-lines'
import { CommandError, startCommand } from '../../../builder/src/util/process'
import { findExecutable } from '../../../builder/src/util/tools'
import { OrchardError } from '@common/errors'
import { MAX_LINE_CHARS } from '@common/writer-wire'
import { isElevated } from '../system/host'
import type { WriterCommand } from './elevation'
import { LineFeed } from './line-feed'
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
  child: ChildProcess
  write(line: string): void
  /** The writer's lines (buffered until read). */
  read(reader: BoundedLineHandlers): void
  /** Closes the writer's input: it exits at once, abandoning a running job. */
  end(): void
  /** Ends it by signal too, where this process may (not when it runs elevated). */
  kill(): void
  exited: Promise<WriterExit>
}

export interface SpawnOptions {
  /** 'socket': the writer connects back (--connect) instead of using its stdin/stdout. */
  channel?: 'stdio' | 'socket'
}

/** `drives`: the drives it may write (it refuses others); none: it needs no rights. */
export async function spawnWriter(writer: WriterCommand, drives: string[], options: SpawnOptions = {}): Promise<WriterChannel> {
  const rendezvous = options.channel === 'socket' ? await openRendezvous() : null
  const connectArgs = rendezvous ? ['--connect', rendezvous.socket, rendezvous.tokenFile, '--caller-uid', String(process.getuid?.() ?? 0)] : []
  const { command, args } = await elevated({ ...writer, args: [...writer.args, ...connectArgs] }, drives).catch((error: unknown) => {
    rendezvous?.close()
    throw error
  })
  const run = startCommand(command, args, { env: { ...process.env, ...writer.env }, ...(rendezvous ? { stdout: 'ignore' } : { stdin: 'pipe', stdout: 'pipe' }) })
  const exited = run.done.then(
    ({ stderr }): WriterExit => ({ code: 0, signal: null, stderr: lastOf(stderr) }),
    (error: unknown): WriterExit =>
      error instanceof CommandError
        ? { code: error.exitCode, signal: error.signal, stderr: lastOf(error.output.stderr) }
        : { code: null, signal: null, stderr: (error as Error).message },
  )
  // An elevated writer is root's: only closing its input ends it.
  const mayKill = command === writer.command
  const kill = () => {
    if (mayKill) run.child.kill('SIGKILL')
  }

  if (!rendezvous) {
    const lines = new LineFeed()
    forEachBoundedLine(run.stdout!, MAX_LINE_CHARS, lines)
    return { child: run.child, write: (line) => void run.stdin!.write(line), read: (reader) => lines.read(reader), end: () => run.stdin!.end(), kill, exited }
  }
  const { socket, lines } = await rendezvous.accept(exited).catch((error: unknown) => {
    kill()
    throw error
  })
  socket.on('error', () => socket.destroy()) // a killed writer resets the socket; its exit is what core reports
  return { child: run.child, write: (line) => void socket.write(line), read: (reader) => lines.read(reader), end: () => socket.end(), kill, exited }
}

const lastOf = (stderr: string) => stderr.slice(-4000).trim()

/** Root already, or image files only: run as we are. Otherwise ask the OS for rights. */
async function elevated(writer: WriterCommand, drives: string[]): Promise<{ command: string; args: string[] }> {
  const needsRawDisks = drives.length > 0
  writer = { ...writer, args: [...writer.args, ...(needsRawDisks ? ['--drives', ...drives] : [])] }
  if (!needsRawDisks || (await isElevated())) return writer
  if (process.platform === 'linux') {
    const pkexec = findExecutable('pkexec')
    if (pkexec) return { command: pkexec, args: [writer.command, ...writer.args] }
    throw new OrchardError('FORBIDDEN', 'Writing to drives needs root: install polkit (pkexec) or start Orchard with sudo')
  }
  throw new OrchardError('FORBIDDEN', `Writing to drives needs administrator rights on ${process.platform}: start Orchard as an administrator`)
}
