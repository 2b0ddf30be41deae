/**
 * A started writer, ready (any elevation prompt answered) and taking jobs by id: one writer
 * per flash batch or card call today, and the same connection can carry a whole session's
 * jobs. A writer that ends with jobs open fails each of them with how it ended.
 */
import { formatBytes } from '../../../builder/src/util/bytes'
import { OrchardError } from '@common/errors'
import { FromWriter, MAX_LINE_CHARS, decodeLine, encodeLine, type JobEnd, type ToWriter } from '@common/writer-wire'
import { spawnWriter, type SpawnOptions, type WriterCommand, type WriterExit } from './writer-process'

type Progress = Extract<FromWriter, { type: 'progress' }>['progress']

export interface WriterConnection {
  /** The writer's own pid and uid, as it reported them. */
  pid: number
  uid: number | null
  /** Sends a job; resolves with its end (done, answer or failed), rejects when the writer ends first. */
  run(message: Exclude<ToWriter, { type: 'cancel' }>, onProgress?: (progress: Progress) => void): Promise<JobEnd>
  /** Stops one running job, or one card (`device`) of it, alone (its end still comes through run()); the writer and its other jobs go on. */
  cancel(jobId: string, device?: string): void
  /** No more jobs: closes its input, so it exits (at once, abandoning a running job); resolves once it is gone. */
  end(): Promise<WriterExit>
  /** close(), and a signal too where core may send one (not to an elevated writer). */
  stop(): void
  exited: Promise<WriterExit>
}

const READY_TIMEOUT_MS = 120_000 // long enough for a person to answer an elevation prompt
const EXIT_GRACE_MS = 10_000

export async function startWriter(writer: WriterCommand, drives: string[], options?: SpawnOptions): Promise<WriterConnection> {
  const channel = await spawnWriter(writer, drives, options)
  const jobs = new Map<string, { resolve(end: JobEnd): void; reject(error: Error): void; onProgress?: (progress: Progress) => void }>()
  let exit: WriterExit | null = null
  let onReady: (ready: Extract<FromWriter, { type: 'ready' }>) => void = () => {}
  const ready = new Promise<Extract<FromWriter, { type: 'ready' }>>((resolve) => (onReady = resolve))

  channel.read({
    line: (text) => {
      const decoded = decodeLine(FromWriter, text)
      if (!decoded.ok) return console.error(`[writer] ignored a line: ${decoded.reason}`)
      const message = decoded.message
      if (message.type === 'ready') return onReady(message)
      if (message.type === 'hello') return
      const { jobId } = message
      if (jobId === null) return console.error(`[writer] ${message.type === 'failed' ? message.error.message : ''}`)
      const job = jobs.get(jobId)
      if (!job) return
      if (message.type === 'progress') return job.onProgress?.(message.progress)
      jobs.delete(jobId)
      job.resolve(message)
    },
    oversized: () => console.error(`[writer] ignored a line longer than ${formatBytes(MAX_LINE_CHARS)}`),
  })
  void channel.exited.then((ended) => {
    exit = ended
    for (const job of jobs.values()) job.reject(endedEarly(ended))
    jobs.clear()
  })

  const stop = () => {
    channel.end()
    channel.kill()
  }
  let timer: NodeJS.Timeout | undefined
  const { pid, uid } = await Promise.race([
    ready,
    channel.exited.then((ended) => {
      const { code, signal, stderr } = ended
      throw channel.refusal(ended) ?? new OrchardError('UNAVAILABLE', `The writer process ended before it was ready (${signal ?? `exit ${code}`})${stderr ? `: ${stderr}` : ''}`)
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        stop()
        reject(new OrchardError('UNAVAILABLE', 'The writer process did not start in time'))
      }, READY_TIMEOUT_MS)
    }),
  ]).finally(() => clearTimeout(timer))

  return {
    pid,
    uid,
    run(message, onProgress) {
      if (exit) return Promise.reject(endedEarly(exit))
      const line = encodeLine(message)
      if (!line) return Promise.reject(new OrchardError('INVALID_INPUT', `The job is larger than the writer takes (${formatBytes(MAX_LINE_CHARS)}): fewer cards or smaller resources per batch`))
      return new Promise((resolve, reject) => {
        jobs.set(message.jobId, { resolve, reject, onProgress })
        channel.write(line)
      })
    },
    cancel(jobId, device) {
      if (!exit && jobs.has(jobId)) channel.write(encodeLine({ type: 'cancel', jobId, ...(device !== undefined && { device }) })!)
    },
    end: async () => {
      channel.end()
      // It exits on its own when its input closes; a signal only if it does not.
      const timer = setTimeout(channel.kill, EXIT_GRACE_MS)
      const exit = await channel.exited
      clearTimeout(timer)
      return exit
    },
    stop,
    exited: channel.exited,
  }
}

function endedEarly({ code, signal, stderr }: WriterExit): OrchardError {
  const how = signal ? `killed by ${signal}` : `exit ${code}`
  return new OrchardError('INTERNAL', `The writer ended before finishing (${how})${stderr ? `: ${stderr}` : ''}`)
}
