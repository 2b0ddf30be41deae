/** Builds on this computer: started, followed through builds.* events, cancelled. */
import { z } from 'zod'
import { BuildMode, BuildPhase, BuildProgress as BuilderProgress } from '../../../builder/src/vocabulary'
import { ErrorShape } from '../errors'
import { FilePath, type EventMap, type ProcedureMap } from './shared'

export { BuildMode, BuildPhase }

/** Where the builder itself runs: in core's process, or in the builder container ("local Docker"). */
export const BuildPlace = z.enum(['host', 'container'])

export const BuildProgress = BuilderProgress.extend({ buildId: z.string() })
export type BuildProgress = z.infer<typeof BuildProgress>

export const BuildOutput = z.object({
  image: z.string(),
  sha256: z.string(),
  compressed: z.string().nullable(),
  buildInfoFile: z.string(),
  bytes: z.number(),
  customizations: z.array(z.string()),
  release: z.string(),
  /** The Docker image output, when the recipe asks for one. */
  dockerImage: z
    .object({ reference: z.string(), pushed: z.string().optional(), compressedBytes: z.number(), uncompressedBytes: z.number() })
    .optional(),
})
export type BuildOutput = z.infer<typeof BuildOutput>

export const BuildFinished = z.discriminatedUnion('ok', [
  z.object({ buildId: z.string(), ok: z.literal(true), output: BuildOutput }),
  z.object({ buildId: z.string(), ok: z.literal(false), error: ErrorShape }),
])
export type BuildFinished = z.infer<typeof BuildFinished>

export const buildProcedures = {
  /** Starts a build in the background; progress and the end arrive as builds.* events. */
  'builds.start': {
    input: z.object({ recipePath: FilePath, outDir: FilePath, mode: BuildMode.default('auto'), where: BuildPlace.default('host') }).strict(),
    output: z.object({ buildId: z.string() }),
  },
  'builds.cancel': { input: z.object({ buildId: z.string() }).strict(), output: z.object({ cancelled: z.boolean() }) },
} as const satisfies ProcedureMap

export const buildEvents = {
  'builds.progress': BuildProgress,
  'builds.finished': BuildFinished,
} as const satisfies EventMap
