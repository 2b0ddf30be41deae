/**
 * Core's end of the writer's second channel, for elevation mechanisms that cannot hand
 * over pipes: a socket in a fresh 0700 folder and a one-time token in a 0600 file beside
 * it (the writer checks both before reading: writer/connect.ts). The first connection
 * whose first line is `hello` with the token is the writer; the folder goes as soon as it
 * connected or ended.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { forEachBoundedLine } from '../../../builder/src/util/bounded-lines'
import { OrchardError } from '@common/errors'
import { FromWriter, MAX_LINE_CHARS, decodeLine } from '@common/writer-wire'
import { LineFeed } from './line-feed'

export interface Rendezvous {
  socket: string
  tokenFile: string
  /** The writer's socket and its lines after the hello, once it proved itself; rejects when it ended first or is too late. */
  accept(ended: Promise<{ code: number | null; stderr: string }>): Promise<{ socket: net.Socket; lines: LineFeed }>
  /** Stops listening and removes the folder (accept does it on its own). */
  close(): void
}

const CONNECT_TIMEOUT_MS = 120_000 // long enough for a person to answer an elevation prompt

export async function openRendezvous(): Promise<Rendezvous> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-writer-')) // mkdtemp makes it 0700
  const token = randomBytes(32).toString('base64url')
  const tokenFile = path.join(dir, 'token')
  await writeFile(tokenFile, token, { mode: 0o600, flag: 'wx' })
  const socketPath = process.platform === 'win32' ? `\\\\.\\pipe\\orchard-writer-${path.basename(dir)}` : path.join(dir, 'writer.sock')
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve))
  const close = () => {
    server.close()
    void rm(dir, { recursive: true, force: true })
  }

  const accept: Rendezvous['accept'] = (ended) =>
    new Promise((resolve, reject) => {
      let settled = false
      const fail = (error: OrchardError) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        close()
        reject(error)
      }
      const timer = setTimeout(() => fail(new OrchardError('UNAVAILABLE', 'The writer process did not connect in time')), CONNECT_TIMEOUT_MS)
      void ended.then(({ code, stderr }) => fail(new OrchardError('UNAVAILABLE', `The writer process ended before connecting (exit ${code})${stderr ? `: ${stderr}` : ''}`)))
      server.on('connection', (candidate) => {
        candidate.on('error', () => candidate.destroy()) // a peer that resets must not take core down
        const lines = new LineFeed()
        let proved = false
        forEachBoundedLine(candidate, MAX_LINE_CHARS, {
          line: (text) => {
            if (proved) return lines.line(text)
            const hello = decodeLine(FromWriter, text)
            if (!(hello.ok && hello.message.type === 'hello' && sameSecret(hello.message.token, token))) return void candidate.destroy()
            if (settled) return void candidate.destroy()
            proved = settled = true
            clearTimeout(timer)
            close() // one writer, one connection
            resolve({ socket: candidate, lines })
          },
          oversized: () => (proved ? lines.oversized() : candidate.destroy()),
          end: () => lines.end(),
        })
      })
    })
  return { socket: socketPath, tokenFile, accept, close }
}

function sameSecret(offered: string, expected: string): boolean {
  const a = Buffer.from(offered)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
