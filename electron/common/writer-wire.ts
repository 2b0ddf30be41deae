/**
 * The writer process's protocol: JSON lines, core → writer on the writer's stdin, writer →
 * core on its stdout (or both over a local socket where the elevation mechanism cannot hand
 * over pipes; the writer's first line there is `hello` with the one-time token). Every
 * object is strict: the elevated side refuses unknown fields rather than ignoring them.
 * A session takes any number of jobs; each carries its id and every message back names it,
 * and `cancel` stops one of them, or one card of one, alone.
 */
import { z } from 'zod'
import { CardAnswer, CardOp, CardRecord, FlashDevice, FlashProgress } from '../../builder/src/vocabulary'
import { ErrorShape } from './errors'
import { FilePath } from './contract/shared'

/**
 * The longest line either side sends or accepts. A flash job carries every card's rendered
 * scripts and resources (certificates, configs: kilobytes each), a card answer one file of
 * a boot partition: 8 MiB leaves room for dozens of cards while a runaway or hostile line
 * cannot make the elevated writer buffer without bound.
 */
export const MAX_LINE_CHARS = 8 * 1024 * 1024

const JobId = z.string().min(1).max(200)

const DriveTarget = z
  .object({
    kind: z.literal('drive', { error: 'the writer writes drives only: image files are written by core' }),
    device: z.string().min(1),
  })
  .strict()

export const WriterFlashJob = z
  .object({
    /** The image as the user chose it: a drive holding it is refused. */
    image: FilePath,
    /** Its uncompressed form, prepared and hashed by core: the writer never decompresses. */
    raw: FilePath,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** An edit list core made for `raw` from a recipe (builder/src/flash/edit-list.ts), laid over it as it is written. */
    edits: FilePath.optional(),
    /** The recipe that made `edits`, for the records. */
    recipeSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    targets: z.array(DriveTarget).min(1),
    /** One per target (same order); null for a plain copy. */
    devices: z.array(FlashDevice.strict().nullable()).optional(),
    verify: z.boolean(),
  })
  .strict()
export type WriterFlashJob = z.infer<typeof WriterFlashJob>

export const ToWriter = z.discriminatedUnion('type', [
  z.object({ type: z.literal('flash'), jobId: JobId, job: WriterFlashJob }).strict(),
  /** `device` must be a connected drive: image files are edited by core. */
  z.object({ type: z.literal('card'), jobId: JobId, device: z.string().min(1), op: CardOp }).strict(),
  /**
   * Stops one running flash job, or with `device` one card of it (its record ends failed,
   * "cancelled", the job's other cards go on); never anything else of the session.
   */
  z.object({ type: z.literal('cancel'), jobId: JobId, device: z.string().min(1).optional() }).strict(),
])
export type ToWriter = z.infer<typeof ToWriter>

export const FromWriter = z.discriminatedUnion('type', [
  /** Socket channel only, first: proves the peer is the writer core started. */
  z.object({ type: z.literal('hello'), token: z.string() }).strict(),
  /** The writer is up (the elevation prompt, if any, was answered) and takes jobs. */
  z.object({ type: z.literal('ready'), pid: z.number(), uid: z.number().nullable() }).strict(),
  z.object({ type: z.literal('progress'), jobId: JobId, progress: FlashProgress.strict() }).strict(),
  z.object({ type: z.literal('done'), jobId: JobId, records: z.array(CardRecord.strict()) }).strict(),
  z.object({ type: z.literal('answer'), jobId: JobId, answer: CardAnswer }).strict(),
  /** A job refused or failed; jobId null when the line named none (not JSON, too long). */
  z.object({ type: z.literal('failed'), jobId: JobId.nullable(), error: ErrorShape.strict() }).strict(),
])
export type FromWriter = z.infer<typeof FromWriter>

/** The last message of a job. */
export type JobEnd = Extract<FromWriter, { type: 'done' | 'answer' | 'failed' }>

export type Decoded<T> = { ok: true; message: T } | { ok: false; jobId: string | null; reason: string }

/** One received line: JSON, then the schema; why not, naming the job when the line does. */
export function decodeLine<T>(schema: z.ZodType<T>, line: string): Decoded<T> {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return { ok: false, jobId: null, reason: 'not JSON' }
  }
  const parsed = schema.safeParse(value)
  if (parsed.success) return { ok: true, message: parsed.data }
  const named = JobId.safeParse((value as { jobId?: unknown } | null)?.jobId)
  const problems = parsed.error.issues.slice(0, 5).map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
  return { ok: false, jobId: named.success ? named.data : null, reason: problems.join('; ') }
}

/** One line to send, or null when it would be longer than the other side accepts. */
export function encodeLine(message: ToWriter | FromWriter): string | null {
  const line = JSON.stringify(message)
  return line.length > MAX_LINE_CHARS ? null : `${line}\n`
}
