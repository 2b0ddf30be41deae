/** A CardOp run on a card: core runs it on image files, the writer on drives. */
import type { CardAnswer, CardOp } from '../vocabulary'
import { withCard } from './card'

export type { CardAnswer, CardOp }

export const cardOpMode = (op: CardOp): 'read' | 'write' => (op.name === 'write' || op.name === 'remove' ? 'write' : 'read')

export function runCardOp(target: string, op: CardOp): Promise<CardAnswer> {
  return withCard(target, cardOpMode(op), async (card): Promise<CardAnswer> => {
    switch (op.name) {
      case 'list':
        return { name: 'list', entries: await card.list(op.dir) }
      case 'read':
        return { name: 'read', content: (await card.read(op.path)).toString('utf8') }
      case 'write':
        await card.write(op.path, Buffer.from(op.content, 'utf8'))
        return { name: 'write', path: op.path }
      case 'remove':
        await card.remove(op.path)
        return { name: 'remove', path: op.path }
      case 'buildInfo':
        return { name: 'buildInfo', buildInfo: await card.buildInfo() }
    }
  })
}
