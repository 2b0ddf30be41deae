/**
 * The writer process: flashes on core's behalf, elevated when the OS requires it for raw
 * disks (scanning and everything else stay unelevated in core). It connects to the local
 * socket core named on its command line, proves itself with the one-time token core left
 * in a private file, takes one job, streams progress, reports the records, and exits.
 * Usage: writer <socket path> <token file>
 */
import { readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { BuildError } from '../../builder/src/util/errors'
import { listDrives } from '../../builder/src/flash/drives'
import { flashImage, type FlashTarget } from '../../builder/src/flash/write'
import { OrchardError, type ErrorShape } from '@common/errors'
import { ToWriter, type FromWriter, type WriterJob } from '@common/writer-wire'

const [socketPath, tokenFile] = process.argv.slice(2)
if (!socketPath || !tokenFile) {
  console.error('usage: writer <socket path> <token file>')
  process.exit(2)
}
const token = readFileSync(tokenFile, 'utf8').trim()
rmSync(tokenFile, { force: true }) // one-time: nobody else gets to read it

const socket = net.createConnection(socketPath)
const send = (message: FromWriter) => socket.write(`${JSON.stringify(message)}\n`)
socket.once('connect', () => send({ type: 'hello', token }))
socket.on('error', (error) => {
  console.error(`writer: ${error.message}`)
  process.exit(1)
})

const lines = createInterface({ input: socket })
lines.on('error', () => {}) // readline re-emits the socket's errors; the socket's handler exits
lines.once('line', (line) => {
  lines.close()
  const message = ToWriter.safeParse(JSON.parse(line))
  if (!message.success) {
    send({ type: 'failed', error: { code: 'INVALID_INPUT', message: 'The writer received a malformed job' } })
    return void socket.end(() => process.exit(2))
  }
  void run(message.data.job).then(() => socket.end(() => process.exit(0)))
})

async function run(job: WriterJob): Promise<void> {
  try {
    const records = await flashImage({
      image: job.image,
      targets: await resolveTargets(job),
      devices: job.devices,
      verify: job.verify,
      jobId: job.jobId,
      recordsFile: null, // core keeps the records, in the user's own data dir
      onProgress: (progress) => send({ type: 'progress', progress: { jobId: job.jobId, ...progress } }),
    })
    send({ type: 'done', records })
  } catch (error) {
    send({ type: 'failed', error: shape(error) })
  }
}

/** Drives are looked up again here: the writer trusts only what it sees itself. */
async function resolveTargets(job: WriterJob): Promise<FlashTarget[]> {
  const drives = job.targets.some((target) => target.kind === 'drive') ? await listDrives() : []
  return job.targets.map((target) => {
    if (target.kind === 'file') return target
    const drive = drives.find((d) => d.device === target.device)
    if (!drive) throw new BuildError('NOT_FOUND', `Drive ${target.device} is not connected (any more)`)
    return { kind: 'drive', drive }
  })
}

function shape(error: unknown): ErrorShape {
  if (error instanceof BuildError) return new OrchardError(error.code, error.message, error.detail).toShape()
  return { code: 'INTERNAL', message: `The writer failed: ${(error as Error).message ?? String(error)}` }
}
