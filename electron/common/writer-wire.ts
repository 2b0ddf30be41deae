/**
 * The writer process's private channel: JSON lines over a local socket that core creates.
 * The writer's first line carries the one-time token core gave it; anything else closes.
 */
import { z } from 'zod'
import { ErrorShape } from './errors'
import { CardRecord, FlashJob, FlashProgress } from './contract'

export const WriterJob = FlashJob.extend({ jobId: z.string() })
export type WriterJob = z.infer<typeof WriterJob>

export const ToWriter = z.discriminatedUnion('type', [z.object({ type: z.literal('start'), job: WriterJob })])
export type ToWriter = z.infer<typeof ToWriter>

export const FromWriter = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), token: z.string() }),
  z.object({ type: z.literal('progress'), progress: FlashProgress }),
  z.object({ type: z.literal('done'), records: z.array(CardRecord) }),
  z.object({ type: z.literal('failed'), error: ErrorShape }),
])
export type FromWriter = z.infer<typeof FromWriter>
