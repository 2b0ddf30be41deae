/** Editing a flashed card's startup-scripts (a drive or an image file), without mounting it. */
import { withCard } from '../../../builder/src/flash/card'
import type { Input, Output } from '@common/contract'

export const cards = {
  list: ({ target, dir }: Input<'cards.list'>): Promise<Output<'cards.list'>> =>
    withCard(target, 'read', async (card) => ({ entries: await card.list(dir) })),
  read: ({ target, path }: Input<'cards.read'>): Promise<Output<'cards.read'>> =>
    withCard(target, 'read', async (card) => ({ content: (await card.read(path)).toString('utf8') })),
  write: ({ target, path, content }: Input<'cards.write'>): Promise<Output<'cards.write'>> =>
    withCard(target, 'write', async (card) => {
      await card.write(path, Buffer.from(content, 'utf8'))
      return { path }
    }),
  remove: ({ target, path }: Input<'cards.remove'>): Promise<Output<'cards.remove'>> =>
    withCard(target, 'write', async (card) => {
      await card.remove(path)
      return { path }
    }),
  buildInfo: ({ target }: Input<'cards.buildInfo'>): Promise<Output<'cards.buildInfo'>> =>
    withCard(target, 'read', async (card) => ({ buildInfo: await card.buildInfo() })),
}
