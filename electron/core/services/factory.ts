/**
 * Factory mode in the app: core runs the queue (builder/src/flash/factory's Factory) and hands
 * each card to one writer process started for the whole run with no drive list (any card
 * inserted: one elevation prompt for the run), as a single-drive flash job; the writer lists
 * the drive again and checks every safety rule itself. Core watches cards come and go with
 * test drives from root-owned files (they come and go at run time). One run at a time.
 *
 * A card stopped alone (factory.stopCard) has its writer job cancelled by id, the writer and
 * the other slots going on; a card pulled mid-write ends its job by the I/O failing there too.
 */
import { randomUUID } from 'node:crypto'
import type { FactoryState, Input, Output } from '@common/contract'
import { OrchardError } from '@common/errors'
import { loadFlashRecipe } from '../../../builder/src/flash/customise-on-flash'
import { Factory, type FactoryEvent } from '../../../builder/src/flash/factory/factory'
import { recordsFile as defaultRecordsFile } from '../../../builder/src/flash/records'
import { errorShape } from '../errors'
import type { EventBus } from '../events'
import { flashDrives } from './flash-halves'
import { startWriter, type WriterConnection } from './writer-connection'
import type { WriterCommand } from './writer-process'

export interface FactoryServiceOptions {
  recordsFile?: string
  cache?: string
  /** The root-owned folder core reads test drives from (default: /etc/orchard/test-drives.d); tests give their own. */
  testDrivesDir?: string
  pollMs?: number
}

export function createFactoryService(bus: EventBus, writer: WriterCommand, options: FactoryServiceOptions = {}) {
  let run: { id: string; factory: Factory; connection: WriterConnection; done: Promise<void> } | null = null

  const state = (): FactoryState => ({ running: run !== null, slots: run?.factory.slots() ?? [], queue: run?.factory.queue() ?? null })

  async function start(input: Input<'factory.start'>): Promise<Output<'factory.start'>> {
    if (run) throw new OrchardError('INVALID_INPUT', 'A factory run is going already: stop it first')
    const recipe = input.recipe ? await loadFlashRecipe(input.recipe) : undefined
    // One writer for every card of the run, for any drive (none can be named before it is inserted).
    const connection = await startWriter(writer, [])
    const id = randomUUID()
    const emit = (event: FactoryEvent) => {
      if (event.type === 'slot') bus.emit('factory.slot', { runId: id, slot: event.slot })
      else if (event.type === 'slot-gone') bus.emit('factory.slotGone', { runId: id, drive: event.drive })
      else if (event.type === 'queue') bus.emit('factory.queue', { runId: id, queue: event.queue })
      else if (event.type === 'record') bus.emit('factory.record', { runId: id, record: event.record })
      else if (event.type === 'message') bus.emit('factory.message', { runId: id, text: event.text })
    }
    const factory = new Factory({
      image: input.image,
      devices: input.devices,
      recipe,
      slots: input.slots ?? 4,
      verify: input.verify ?? true,
      reflash: input.reflash ?? false,
      stateFile: input.stateFile,
      recordFile: options.recordsFile ?? defaultRecordsFile(),
      cache: options.cache,
      pollMs: options.pollMs,
      drives: { testDrives: 'root-file', ...(options.testDrivesDir && { testDrivesDir: options.testDrivesDir }) },
      onEvent: emit,
      flashCard: async (job) => {
        const half = {
          jobId: `${id}:${job.device.hostname}`,
          image: job.shared.image,
          source: job.shared.source,
          ...(job.shared.edits && { edits: job.shared.edits }),
          verify: job.verify,
          startedAt: new Date().toISOString(),
          onProgress: job.onProgress,
          cancelled: () => null,
        }
        const { records } = await flashDrives(connection, half, [{ target: { kind: 'drive', drive: job.drive }, device: job.device }], job.signal)
        return { ...records[0]!, jobId: id }
      },
    })
    const done = factory
      .run()
      .then(
        (summary) => bus.emit('factory.finished', { runId: id, queue: summary.queue }),
        (error: unknown) => bus.emit('factory.finished', { runId: id, queue: null, error: errorShape(error) }),
      )
      .finally(async () => {
        await connection.end()
        run = null
      })
    run = { id, factory, connection, done }
    return { runId: id }
  }

  const current = () => {
    if (!run) throw new OrchardError('NOT_FOUND', 'No factory run is going')
    return run.factory
  }

  return {
    start,
    pause: (): FactoryState => (current().pause(), state()),
    resume: (): FactoryState => (current().resume(), state()),
    stop: ({ abort = false }: Input<'factory.stop'>): FactoryState => {
      current().stop({ abort })
      if (abort) run?.connection.stop() // the writer's cards stop at once; their devices wait again
      return state()
    },
    stopCard: ({ drive }: Input<'factory.stopCard'>): FactoryState => {
      if (!current().stopCard(drive)) throw new OrchardError('NOT_FOUND', `No card is being written in ${drive}`)
      return state()
    },
    state,
    /** Resolves when no run is going. */
    async idle() {
      await run?.done
    },
  }
}
