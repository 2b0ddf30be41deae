/** Flashed cards: their startup-scripts read and edited, and the per-card flash records. */
import { z } from 'zod'
import { CardEntry, CardRecord } from '../../../builder/src/vocabulary'
import { FilePath, NoInput, type ProcedureMap } from './shared'

export { CardEntry, CardRecord }

const CardTarget = z.object({ target: FilePath })

export const cardProcedures = {
  'cards.list': { input: CardTarget.extend({ dir: z.string().optional() }).strict(), output: z.object({ entries: z.array(CardEntry) }) },
  'cards.read': { input: CardTarget.extend({ path: z.string() }).strict(), output: z.object({ content: z.string() }) },
  'cards.write': { input: CardTarget.extend({ path: z.string(), content: z.string() }).strict(), output: z.object({ path: z.string() }) },
  'cards.remove': { input: CardTarget.extend({ path: z.string() }).strict(), output: z.object({ path: z.string() }) },
  'cards.buildInfo': { input: CardTarget.strict(), output: z.object({ buildInfo: z.unknown() }) },
  'records.list': { input: NoInput, output: z.object({ records: z.array(CardRecord) }) },
  'records.export': {
    input: z.object({ format: z.enum(['csv', 'json']), path: FilePath }).strict(),
    output: z.object({ path: z.string(), count: z.number() }),
  },
} as const satisfies ProcedureMap
