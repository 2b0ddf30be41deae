/**
 * Starts the writer process and talks to it over a private local socket: a 0700 folder
 * holds the socket and a one-time token file (0600) the writer reads and deletes, so no
 * secret appears on a command line. Raw disks need root on Linux: pkexec asks for it.
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { CommandError, startCommand } from '../../../builder/src/util/process'
import { findExecutable } from '../../../builder/src/util/tools'
import { OrchardError } from '@common/errors'
import { FromWriter, type ToWriter } from '@common/writer-wire'
import { isElevated } from '../system/host'

export interface WriterCommand {
  command: string
  args: string[]
  env?: Record<string, string>
}

/** The writer run from source through tsx; the packaged app passes its built writer instead. */
export function defaultWriterCommand(): WriterCommand {
  const entry = fileURLToPath(new URL('../../writer/index.ts', import.meta.url))
  return { command: process.execPath, args: ['--import', 'tsx', entry] }
}

export interface WriterConnection {
  child: ChildProcess
  send(message: ToWriter): void
  /** Every message after the handshake. */
  onMessage(listener: (message: FromWriter) => void): void
  /** Resolves when the process has ended, with its exit code and the end of its stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

const CONNECT_TIMEOUT_MS = 120_000 // long enough for a person to answer an elevation prompt

export async function startWriter(writer: WriterCommand, needsRawDisks: boolean): Promise<WriterConnection> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-writer-')) // mkdtemp makes it 0700
  const token = randomBytes(32).toString('base64url')
  const tokenFile = path.join(dir, 'token')
  await writeFile(tokenFile, token, { mode: 0o600 })
  const socketPath = process.platform === 'win32' ? `\\\\.\\pipe\\orchard-writer-${path.basename(dir)}` : path.join(dir, 'writer.sock')

  const server = net.createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve))
  const cleanup = () => {
    server.close()
    void rm(dir, { recursive: true, force: true })
  }

  const { command, args } = await elevated(writer, needsRawDisks)
  const writerRun = startCommand(command, [...args, socketPath, tokenFile], { env: { ...process.env, ...writer.env }, stdout: 'ignore' })
  const child = writerRun.child
  const lastOf = (stderr: string) => stderr.slice(-4000).trim()
  const exited: WriterConnection['exited'] = writerRun.done.then(
    ({ stderr }) => ({ code: 0, signal: null, stderr: lastOf(stderr) }),
    (error: unknown) =>
      error instanceof CommandError
        ? { code: error.exitCode, signal: error.signal, stderr: lastOf(error.output.stderr) }
        : { code: null, signal: null, stderr: (error as Error).message },
  )
  exited.finally(cleanup)

  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const timer = setTimeout(() => reject(new OrchardError('UNAVAILABLE', 'The writer process did not connect in time')), CONNECT_TIMEOUT_MS)
    void exited.then(({ code, stderr }) => reject(new OrchardError('UNAVAILABLE', `The writer process ended before connecting (exit ${code}): ${stderr}`)))
    server.on('connection', (candidate) => {
      candidate.on('error', () => candidate.destroy()) // a peer that resets must not take core down
      const lines = createInterface({ input: candidate })
      lines.on('error', () => {}) // readline re-emits its input's errors; handled above
      lines.once('line', (line) => {
        lines.close()
        const hello = FromWriter.safeParse(safeJson(line))
        if (hello.success && hello.data.type === 'hello' && sameSecret(hello.data.token, token)) {
          clearTimeout(timer)
          server.close() // one writer, one connection
          resolve(candidate)
        } else {
          candidate.destroy()
        }
      })
    })
  })

  const listeners: ((message: FromWriter) => void)[] = []
  // A writer that is killed (cancel) resets the socket; its exit is what core reports.
  socket.on('error', () => socket.destroy())
  const lines = createInterface({ input: socket })
  lines.on('error', () => {}) // readline re-emits the socket's errors; handled above
  lines.on('line', (line) => {
    const message = FromWriter.safeParse(safeJson(line))
    if (message.success) for (const listener of listeners) listener(message.data)
  })
  return {
    child,
    exited,
    send: (message) => socket.write(`${JSON.stringify(message)}\n`),
    onMessage: (listener) => listeners.push(listener),
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return null
  }
}

function sameSecret(offered: string, expected: string): boolean {
  const a = Buffer.from(offered)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Root already, or image files only: run as we are. Otherwise ask the OS for rights. */
async function elevated(writer: WriterCommand, needsRawDisks: boolean): Promise<{ command: string; args: string[] }> {
  if (!needsRawDisks || (await isElevated())) return writer
  if (process.platform === 'linux') {
    const pkexec = findExecutable('pkexec')
    if (pkexec) return { command: pkexec, args: [writer.command, ...writer.args] }
    throw new OrchardError('FORBIDDEN', 'Writing to drives needs root: install polkit (pkexec) or start Orchard with sudo')
  }
  throw new OrchardError('FORBIDDEN', `Writing to drives needs administrator rights on ${process.platform}: start Orchard as an administrator`)
}
