/**
 * Editing a flashed card's startup-scripts without mounting it. Image files are opened here,
 * unprivileged; a drive only by a writer process (elevated when needed), which checks again
 * that it is a connected drive and no system drive. One writer per drive serves the card
 * step's calls while it is in use (one elevation prompt, not one per call) and ends after a
 * quiet spell.
 */
import { randomUUID } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { runCardOp, type CardAnswer, type CardOp } from '../../../builder/src/flash/card-ops'
import type { Input, Output } from '@common/contract'
import { OrchardError } from '@common/errors'
import { startWriter, type WriterConnection } from './writer-connection'
import type { WriterCommand } from './writer-process'

type Answer<N extends CardOp['name']> = Extract<CardAnswer, { name: N }>

interface Session {
  connection: Promise<WriterConnection>
  /** The last job asked of it: the next waits for it. */
  queue: Promise<void>
  idle?: NodeJS.Timeout
}

/** How long a drive's writer waits for the next card call before it ends. */
const IDLE_MS = 120_000

export function createCardsService(writer: WriterCommand, busyDevices: () => string[]) {
  // One writer per drive; its card jobs one at a time (the writer counts a drive in a running job as busy).
  const sessions = new Map<string, Session>()

  /** The drive's writer, started (and the user asked) once; a refused or ended one is forgotten. */
  function sessionFor(device: string) {
    let session = sessions.get(device)
    if (!session) {
      const connection = startWriter(writer, [device])
      session = { connection, queue: Promise.resolve() }
      sessions.set(device, session)
      const forget = () => sessions.get(device)?.connection === connection && sessions.delete(device)
      connection.then((started) => void started.exited.then(forget), forget)
    }
    clearTimeout(session.idle)
    return session
  }

  function keepFor(device: string, session: Session) {
    session.idle = setTimeout(() => {
      sessions.delete(device)
      void session.connection.then((connection) => connection.end())
    }, IDLE_MS)
    session.idle.unref()
  }

  async function ask<N extends CardOp['name']>(target: string, op: Extract<CardOp, { name: N }>): Promise<Answer<N>> {
    const answer = (await isImageFile(target)) ? await runCardOp(target, op) : await askWriter(target, op)
    if (answer.name !== op.name) throw new OrchardError('INTERNAL', `A card ${op.name} was answered with ${answer.name}`)
    return answer as Answer<N>
  }

  async function askWriter(device: string, op: CardOp): Promise<CardAnswer> {
    if (busyDevices().includes(device)) throw new OrchardError('UNSAFE_TARGET', `${device} is being flashed`)
    const session = sessionFor(device)
    const run = async () => {
      const end = await (await session.connection).run({ type: 'card', jobId: randomUUID(), device, op })
      if (end.type === 'failed') throw new OrchardError(end.error.code, end.error.message, end.error.detail)
      if (end.type !== 'answer') throw new OrchardError('INTERNAL', `The writer answered a card ${op.name} with ${end.type}`)
      return end.answer
    }
    const answer = session.queue.then(run, run)
    session.queue = answer.then(
      () => undefined,
      () => undefined,
    )
    try {
      return await answer
    } finally {
      keepFor(device, session)
    }
  }

  return {
    list: async ({ target, dir }: Input<'cards.list'>): Promise<Output<'cards.list'>> => ({
      entries: (await ask(target, { name: 'list', ...(dir === undefined ? {} : { dir }) })).entries,
    }),
    read: async ({ target, path }: Input<'cards.read'>): Promise<Output<'cards.read'>> => ({ content: (await ask(target, { name: 'read', path })).content }),
    write: async ({ target, path, content }: Input<'cards.write'>): Promise<Output<'cards.write'>> => ({ path: (await ask(target, { name: 'write', path, content })).path }),
    remove: async ({ target, path }: Input<'cards.remove'>): Promise<Output<'cards.remove'>> => ({ path: (await ask(target, { name: 'remove', path })).path }),
    buildInfo: async ({ target }: Input<'cards.buildInfo'>): Promise<Output<'cards.buildInfo'>> => ({ buildInfo: (await ask(target, { name: 'buildInfo' })).buildInfo }),
    /** Ends every drive's writer (core stopping, or a flash about to use the drive). */
    async release(device?: string): Promise<void> {
      const ending = [...sessions].filter(([name]) => device === undefined || name === device)
      for (const [name, session] of ending) {
        clearTimeout(session.idle)
        sessions.delete(name)
      }
      await Promise.all(ending.map(([, session]) => session.connection.then((connection) => connection.end(), () => undefined)))
    },
  }
}

/** An image file is core's to open; anything else (a device) only the writer's. */
async function isImageFile(target: string): Promise<boolean> {
  const stats = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new OrchardError('NOT_FOUND', `No such file or drive: ${target}`)
    return null
  })
  return stats?.isFile() ?? false
}
