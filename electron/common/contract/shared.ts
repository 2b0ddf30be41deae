/** What every domain of the contract builds on. */
import { z } from 'zod'

/** A procedure: its input and output schema. */
export type ProcedureMap = Record<string, { input: z.ZodType; output: z.ZodType }>
/** An event: its payload schema. */
export type EventMap = Record<string, z.ZodType>

export const NoInput = z.object({}).strict()
export const FilePath = z.string().min(1)
