/**
 * One writer session: jobs from core, one JSON line each, until the channel closes. Every
 * line goes through the wire's strict schemas: malformed JSON, unknown fields, a file
 * target or a line over the limit are answered with `failed` (INVALID_INPUT) and nothing
 * else happens. Jobs may overlap (a session kept for a factory run); a drive in a running
 * job is busy for the others, and `cancel` stops one job, or one card of one, alone. Only
 * drives named at start (--drives) are taken, when named.
 */
import { forEachBoundedLine } from '../../builder/src/util/bounded-lines'
import { formatBytes } from '../../builder/src/util/bytes'
import { BuildError } from '../../builder/src/util/errors'
import { OrchardError, type ErrorShape } from '@common/errors'
import { MAX_LINE_CHARS, ToWriter, decodeLine, encodeLine, type FromWriter, type JobEnd } from '@common/writer-wire'
import { runCardJob } from './card-job'
import { runFlashJob } from './flash-job'

export interface Channel {
  input: NodeJS.ReadableStream
  writeLine(line: string): void
}

export interface SessionOptions {
  /** The drives the user was asked about (--drives); null: any connected drive. */
  allowedDrives: string[] | null
  /** Who asked (--caller-uid, or as pkexec/sudo recorded it). */
  callerUid: number
}

/** Resolves when the channel closes (the caller then exits, abandoning a running job: its parent is gone or cancelled). */
export function runSession(channel: Channel, options: SessionOptions): Promise<void> {
  // Each running job's drives, and what stops it whole or one card of it.
  const running = new Map<string, { devices: string[]; abort: AbortController; cards: Map<string, AbortController> }>()
  const send = (message: FromWriter) => {
    const line = encodeLine(message)
    if (line) return channel.writeLine(line)
    const jobId = 'jobId' in message ? message.jobId : null
    send({ type: 'failed', jobId, error: { code: 'INVALID_INPUT', message: `The answer is larger than the writer may send (${formatBytes(MAX_LINE_CHARS)})` } })
  }
  const refuse = (jobId: string | null, message: string) => send({ type: 'failed', jobId, error: { code: 'INVALID_INPUT', message } })

  // Its answer is the job's own end (the cards stopped failed, "cancelled"); a job not running gets
  // NOT_FOUND. A device not in the job is no card of it: nothing is stopped (an answer naming the
  // job would end it for core).
  const cancel = (jobId: string, device: string | undefined) => {
    const job = running.get(jobId)
    if (!job) return send({ type: 'failed', jobId, error: { code: 'NOT_FOUND', message: `Job ${jobId} is not running` } })
    const stop = device === undefined ? job.abort : job.cards.get(device)
    stop?.abort()
  }

  const start = (message: Exclude<ToWriter, { type: 'cancel' }>) => {
    const { jobId } = message
    if (running.has(jobId)) return refuse(jobId, `Job ${jobId} is already running`)
    const devices = message.type === 'flash' ? message.job.targets.map((target) => target.device) : [message.device]
    const busyDevices = [...running.values()].flatMap((job) => job.devices)
    const abort = new AbortController()
    const cards = new Map(devices.map((device) => [device, new AbortController()]))
    running.set(jobId, { devices, abort, cards })
    void (async (): Promise<JobEnd> => {
      const unasked = devices.find((device) => options.allowedDrives && !options.allowedDrives.includes(device))
      if (unasked) throw new BuildError('FORBIDDEN', `${unasked} was not among the drives this writer was started for`)
      if (message.type === 'card') return { type: 'answer', jobId, answer: await runCardJob(message.device, message.op, busyDevices) }
      const onProgress = (progress: Extract<FromWriter, { type: 'progress' }>['progress']) => send({ type: 'progress', jobId, progress })
      const context = { jobId, busyDevices, onProgress, callerUid: options.callerUid, signal: abort.signal, cardSignals: new Map([...cards].map(([device, card]) => [device, card.signal])) }
      return { type: 'done', jobId, records: await runFlashJob(message.job, context) }
    })()
      .catch((error: unknown): JobEnd => ({ type: 'failed', jobId, error: shape(error) }))
      .then((end) => {
        running.delete(jobId)
        send(end)
      })
  }

  return new Promise((resolve) => {
    forEachBoundedLine(channel.input, MAX_LINE_CHARS, {
      oversized: () => refuse(null, `The writer refused a line longer than ${formatBytes(MAX_LINE_CHARS)}`),
      line: (text) => {
        if (!text.trim()) return
        const decoded = decodeLine(ToWriter, text)
        if (!decoded.ok) refuse(decoded.jobId, `The writer refused a malformed message (${decoded.reason})`)
        else if (decoded.message.type === 'cancel') cancel(decoded.message.jobId, decoded.message.device)
        else start(decoded.message)
      },
      end: resolve,
    })
  })
}

function shape(error: unknown): ErrorShape {
  if (error instanceof BuildError) return new OrchardError(error.code, error.message, error.detail).toShape()
  return { code: 'INTERNAL', message: `The writer failed: ${error instanceof Error ? error.message : String(error)}` }
}
