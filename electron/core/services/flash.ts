/**
 * Flash jobs: each runs in its own writer process; progress and the result come back as
 * `flash.progress` / `flash.finished` events. Cancel ends the writer; a job whose writer
 * ends without a result is reported failed, never good.
 */
import { randomUUID } from 'node:crypto'
import type { Input, Output } from '@common/contract'
import { appendRecords } from '../../../builder/src/flash/records'
import { OrchardError } from '@common/errors'
import type { EventBus } from '../events'
import { startWriter, type WriterCommand } from './writer-process'

interface RunningJob {
  devices: string[]
  cancelled: boolean
  kill(): void
  done: Promise<void>
}

export function createFlashService(bus: EventBus, writer: WriterCommand, recordsFile?: string) {
  const jobs = new Map<string, RunningJob>()

  async function start(job: Input<'flash.start'>): Promise<Output<'flash.start'>> {
    const busy = new Set([...jobs.values()].flatMap((running) => running.devices))
    const devices = job.targets.flatMap((target) => (target.kind === 'drive' ? [target.device] : []))
    const clash = devices.find((device) => busy.has(device))
    if (clash) throw new OrchardError('UNSAFE_TARGET', `${clash} is being flashed by another job`)
    if (job.devices && job.devices.length !== job.targets.length) {
      throw new OrchardError('INVALID_INPUT', `${job.devices.length} devices for ${job.targets.length} destinations`)
    }

    const jobId = randomUUID()
    const connection = await startWriter(writer, devices.length > 0)
    let result: Output<'flash.start'> | null = null
    const running: RunningJob = {
      devices,
      cancelled: false,
      kill: () => connection.child.kill('SIGTERM'),
      done: Promise.resolve(),
    }
    connection.onMessage((message) => {
      if (message.type === 'progress') bus.emit('flash.progress', { ...message.progress, jobId })
      else if (message.type === 'done') {
        result = { jobId }
        void appendRecords(message.records, recordsFile).then(
          () => bus.emit('flash.finished', { jobId, ok: message.records.every((record) => record.ok), records: message.records }),
          (error: Error) => bus.emit('flash.finished', { jobId, ok: false, records: message.records, error: { code: 'UNWRITABLE', message: `Records not saved: ${error.message}` } }),
        )
      } else if (message.type === 'failed') {
        result = { jobId }
        bus.emit('flash.finished', { jobId, ok: false, records: [], error: message.error })
      }
    })
    running.done = connection.exited.then(({ code, signal, stderr }) => {
      jobs.delete(jobId)
      if (result) return
      const error = running.cancelled
        ? new OrchardError('CANCELLED', 'Flashing was cancelled: the cards written so far are not usable')
        : new OrchardError('INTERNAL', `The writer ended without a result (${signal ?? `exit ${code}`})${stderr ? `: ${stderr}` : ''}`)
      bus.emit('flash.finished', { jobId, ok: false, records: [], error: error.toShape() })
    })
    jobs.set(jobId, running)
    connection.send({ type: 'start', job: { ...job, verify: job.verify ?? true, jobId } })
    return { jobId }
  }

  return {
    start,
    cancel({ jobId }: Input<'flash.cancel'>): Output<'flash.cancel'> {
      const job = jobs.get(jobId)
      if (!job) return { cancelled: false }
      job.cancelled = true
      job.kill()
      return { cancelled: true }
    },
    busyDevices: () => [...jobs.values()].flatMap((job) => job.devices),
    async idle() {
      await Promise.all([...jobs.values()].map((job) => job.done))
    },
  }
}
