/**
 * Editing a flashed card's startup-scripts without mounting it. Image files are opened here,
 * unprivileged; a drive only by a writer process (elevated when needed), which checks again
 * that it is a connected drive and no system drive. One writer per call for now: a session
 * writer could take these jobs as well (writer-connection.ts).
 */
import { randomUUID } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { runCardOp, type CardAnswer, type CardOp } from '../../../builder/src/flash/card-ops'
import type { Input, Output } from '@common/contract'
import { OrchardError } from '@common/errors'
import { startWriter } from './writer-connection'
import type { WriterCommand } from './writer-process'

type Answer<N extends CardOp['name']> = Extract<CardAnswer, { name: N }>

export function createCardsService(writer: WriterCommand, busyDevices: () => string[]) {
  async function ask<N extends CardOp['name']>(target: string, op: Extract<CardOp, { name: N }>): Promise<Answer<N>> {
    const answer = (await isImageFile(target)) ? await runCardOp(target, op) : await askWriter(target, op)
    if (answer.name !== op.name) throw new OrchardError('INTERNAL', `A card ${op.name} was answered with ${answer.name}`)
    return answer as Answer<N>
  }

  async function askWriter(device: string, op: CardOp): Promise<CardAnswer> {
    if (busyDevices().includes(device)) throw new OrchardError('UNSAFE_TARGET', `${device} is being flashed`)
    const connection = await startWriter(writer, [device])
    try {
      const end = await connection.run({ type: 'card', jobId: randomUUID(), device, op })
      if (end.type === 'failed') throw new OrchardError(end.error.code, end.error.message, end.error.detail)
      if (end.type !== 'answer') throw new OrchardError('INTERNAL', `The writer answered a card ${op.name} with ${end.type}`)
      return end.answer
    } finally {
      await connection.end()
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
