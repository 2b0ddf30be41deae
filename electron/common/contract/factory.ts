/**
 * Factory mode (builder/src/flash/factory): the devices table as a queue, every card reader a
 * slot that starts the next device when a card goes in. One run at a time; its slots, queue
 * and records arrive as events.
 */
import { z } from 'zod'
import { CardRecord, FactoryQueue, FactorySlot } from '../../../builder/src/vocabulary'
import { ErrorShape } from '../errors'
import { Device } from './devices'
import { FilePath, type EventMap, type ProcedureMap } from './shared'

export { FactoryQueue, FactorySlot }

export const FactoryStart = z.object({
  image: FilePath,
  /** The queue, in order: one card each. */
  devices: z.array(Device).min(1),
  /** Customise on the way (quick customisation only), as flash.start's recipe. */
  recipe: FilePath.optional(),
  /** Cards written at once. */
  slots: z.number().int().min(1).max(64).default(4),
  verify: z.boolean().default(true),
  /** The queue on disk: a run with the same file goes on where the last stopped. */
  stateFile: FilePath,
  /** Flash devices an earlier run finished again. */
  reflash: z.boolean().default(false),
})
export type FactoryStart = z.infer<typeof FactoryStart>

export const FactoryState = z.object({
  running: z.boolean(),
  slots: z.array(FactorySlot),
  queue: FactoryQueue.nullable(),
})
export type FactoryState = z.infer<typeof FactoryState>

export const factoryProcedures = {
  /** Starts a run (one writer for every card it flashes: one elevation prompt); cards inserted from now on are offered. */
  'factory.start': { input: FactoryStart.strict(), output: z.object({ runId: z.string() }) },
  /** No new card starts; the cards being written finish. */
  'factory.pause': { input: z.object({}).strict(), output: FactoryState },
  'factory.resume': { input: z.object({}).strict(), output: FactoryState },
  /** Ends the run; `abort`: the cards being written are stopped (their devices wait again), else they finish first. */
  'factory.stop': { input: z.object({ abort: z.boolean().default(false) }).strict(), output: FactoryState },
  /** Stops the card being written in one reader alone (its device waits again); the other slots go on. */
  'factory.stopCard': { input: z.object({ drive: z.string().min(1) }).strict(), output: FactoryState },
  'factory.state': { input: z.object({}).strict(), output: FactoryState },
} as const satisfies ProcedureMap

export const factoryEvents = {
  'factory.slot': z.object({ runId: z.string(), slot: FactorySlot }),
  /** The reader's card came out. */
  'factory.slotGone': z.object({ runId: z.string(), drive: z.string() }),
  'factory.queue': z.object({ runId: z.string(), queue: FactoryQueue }),
  'factory.record': z.object({ runId: z.string(), record: CardRecord }),
  'factory.message': z.object({ runId: z.string(), text: z.string() }),
  /** The run ended: every device done, stopped, or failed as a whole (error). */
  'factory.finished': z.object({ runId: z.string(), queue: FactoryQueue.nullable(), error: ErrorShape.optional() }),
} as const satisfies EventMap
