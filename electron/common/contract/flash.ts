/** Drives (listed, checked against an image, watched) and flash jobs in the writer process. */
import { z } from 'zod'
import { CardRecord, DriveIssue, FlashProgress as WriterProgress } from '../../../builder/src/vocabulary'
import { ErrorShape } from '../errors'
import { Device } from './devices'
import { FilePath, type EventMap, type ProcedureMap } from './shared'

export { DriveIssue }

export const DriveView = z.object({
  device: z.string(),
  description: z.string(),
  size: z.number(),
  removable: z.boolean(),
  system: z.boolean(),
  readOnly: z.boolean(),
  virtual: z.boolean(),
  busType: z.string(),
  mountpoints: z.array(z.string()),
  serial: z.string().nullable(),
  /** Against the image given to drives.list, if any: why it may not (errors) or should not (warnings) be flashed. */
  issues: z.array(DriveIssue),
})
export type DriveView = z.infer<typeof DriveView>

export const FlashTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('drive'), device: z.string() }),
  z.object({ kind: z.literal('file'), path: FilePath }),
])

export const FlashJob = z.object({
  image: FilePath,
  targets: z.array(FlashTarget).min(1),
  /** One per target (same order); null for a plain copy. */
  devices: z.array(Device.nullable()).optional(),
  verify: z.boolean().default(true),
  /**
   * A recipe file: its quick customisation is laid over the image on the way to the cards (the
   * image never changes); a recipe that needs ARM code is refused before anything starts.
   */
  recipe: FilePath.optional(),
})
export type FlashJob = z.infer<typeof FlashJob>

export const FlashProgress = WriterProgress.extend({ jobId: z.string() })
export type FlashProgress = z.infer<typeof FlashProgress>

export const FlashFinished = z.object({
  jobId: z.string(),
  /** Every card flashed, verified and given its files. */
  ok: z.boolean(),
  records: z.array(CardRecord),
  /** Why the whole job stopped (refused, bad image, writer failed), when it did. */
  error: ErrorShape.optional(),
})
export type FlashFinished = z.infer<typeof FlashFinished>

export const flashProcedures = {
  /** Drives now; with `image`, each with the issues that stop or warn against flashing it. System drives hidden unless asked. */
  'drives.list': {
    input: z.object({ image: FilePath.optional(), showSystem: z.boolean().default(false) }).strict(),
    output: z.object({ drives: z.array(DriveView) }),
  },
  /** Polls for inserted and removed cards; `drives.changed` fires only on a change. */
  'drives.watch': { input: z.object({ watching: z.boolean() }).strict(), output: z.object({ watching: z.boolean() }) },
  /** Flashes in the writer process; progress and the end arrive as flash.progress / flash.finished. */
  'flash.start': { input: FlashJob.strict(), output: z.object({ jobId: z.string() }) },
  /** The whole job, or with `destination` (a drive's device, an image file's path) that card alone: the others go on. */
  'flash.cancel': { input: z.object({ jobId: z.string(), destination: z.string().min(1).optional() }).strict(), output: z.object({ cancelled: z.boolean() }) },
} as const satisfies ProcedureMap

export const flashEvents = {
  'drives.changed': z.object({ drives: z.array(DriveView) }),
  'flash.progress': FlashProgress,
  'flash.finished': FlashFinished,
} as const satisfies EventMap
