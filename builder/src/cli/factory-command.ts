import type { Command } from 'commander'
import path from 'node:path'
import { readDevicesFile } from '../flash/devices-file'
import { recordsFile } from '../flash/records'
import { BuildError } from '../util/errors'
import type { FactoryEvent, SlotView } from '../flash/factory/factory'
import { queueLine, slotLine } from '../flash/factory/status-text'
import { createReporter, EXIT, exitCodeFor } from './output'

interface FactoryCommandOptions {
  devices: string
  recipe?: string
  slots: string
  record?: string
  state?: string
  reflash?: boolean
  verify: boolean
  json?: boolean
}

export function registerFactoryCommand(program: Command): void {
  program
    .command('factory')
    .description('Factory mode: every card inserted in any reader gets the next device of the table, each reader at its own speed, until every device is done')
    .argument('<image>', '.img, .img.xz, .img.gz or .zip (decompressed once, kept in the cache)')
    .requiredOption('--devices <csv>', 'devices.csv: the queue, one card per row, in order')
    .option('--recipe <recipe.yml>', 'customise on the way (quick customisation only), as `orchard flash --recipe`')
    .option('--slots <n>', 'cards written at once; a card inserted while all are busy waits', '4')
    .option('--record <file>', 'the running record file: one JSON line per card as it ends (default: the app\'s flash records)')
    .option('--state <file>', 'the queue on disk, so a restart goes on where it stopped (default: <devices.csv>.factory.json)')
    .option('--reflash', 'flash devices an earlier run finished again')
    .option('--no-verify', 'skip reading every card back')
    .option('--json', 'print every event as a JSON line on stdout')
    .action(async (image: string, options: FactoryCommandOptions) => {
      const reporter = createReporter(Boolean(options.json))
      try {
        // Loaded here: etcher-sdk brings native modules every other command must start without.
        const { Factory } = await import('../flash/factory/factory')
        const { loadFlashRecipe } = await import('../flash/customise-on-flash')
        const slots = Number(options.slots)
        if (!Number.isInteger(slots) || slots < 1) throw new BuildError('INVALID_INPUT', `--slots must be a whole number of 1 or more, not ${options.slots}`)
        const devices = await readDevicesFile(options.devices)
        const recipe = options.recipe ? await loadFlashRecipe(options.recipe) : undefined
        const shown = new Map<string, string>()
        const factory = new Factory({
          image,
          devices,
          recipe,
          slots,
          verify: options.verify,
          reflash: options.reflash,
          recordFile: path.resolve(options.record ?? recordsFile()),
          stateFile: path.resolve(options.state ?? `${options.devices}.factory.json`),
          // Test drives come from root-owned files, re-read at every poll (cards come and go); tests name their own folder.
          drives: { testDrives: 'root-file', ...(process.env.ORCHARD_TEST_DRIVES_DIR && { testDrivesDir: process.env.ORCHARD_TEST_DRIVES_DIR }) },
          onEvent: (event) => (options.json ? process.stdout.write(`${JSON.stringify(event)}\n`) : say(event, shown, reporter.line)),
        })
        const controls = listenForControls(factory, reporter.line)
        let summary
        try {
          summary = await factory.run()
        } finally {
          controls()
        }
        reporter.result({ records: summary.records, queue: summary.queue }, () => `${queueLine(summary.queue)}\n${summary.records.filter((r) => r.ok).length} cards done, ${summary.records.filter((r) => !r.ok).length} failed in ${Math.round(summary.seconds)} s`)
        if (summary.queue.done < summary.queue.total) process.exitCode = EXIT.failed
      } catch (error) {
        reporter.error(error)
        process.exitCode = exitCodeFor(error)
      }
    })
}

/** A line when a slot's state or message changes (not at every percent), and the queue with each card that ends. */
function say(event: FactoryEvent, shown: Map<string, string>, line: (text: string) => void): void {
  if (event.type === 'message') line(event.text)
  if (event.type === 'slot' && changed(event.slot, shown)) line(slotLine(event.slot))
  if (event.type === 'slot-gone') {
    shown.delete(event.drive)
    line(`${event.drive}: card out`)
  }
  if (event.type === 'record') line(`${event.record.hostname}: ${event.record.ok ? 'verified and done' : `FAILED (${event.record.error})`}`)
  if (event.type === 'queue') line(queueLine(event.queue))
}

function changed(slot: SlotView, shown: Map<string, string>): boolean {
  const key = `${slot.state}:${slot.phase}:${slot.hostname}:${slot.state === 'writing' ? '' : slot.message}`
  if (shown.get(slot.drive) === key) return false
  shown.set(slot.drive, key)
  return true
}

/**
 * p / SIGUSR1 pauses (no new card starts), r / SIGUSR2 resumes, q stops once the cards being
 * written finish; Ctrl+C stops at once (those cards' devices wait again). Returns the unlistener.
 */
function listenForControls(factory: { pause(): void; resume(): void; stop(options?: { abort?: boolean }): void }, line: (text: string) => void): () => void {
  const pause = () => {
    factory.pause()
    line('paused: no new card starts (r or SIGUSR2 resumes)')
  }
  const resume = () => factory.resume()
  const abort = () => {
    line('stopping: the cards being written are stopped, their devices wait again')
    factory.stop({ abort: true })
  }
  const key = (data: Buffer) => {
    const text = data.toString('utf8')
    if (text.includes('\u0003')) abort()
    else if (/p/i.test(text)) pause()
    else if (/r/i.test(text)) resume()
    else if (/q/i.test(text)) factory.stop()
  }
  process.on('SIGUSR1', pause)
  process.on('SIGUSR2', resume)
  process.on('SIGINT', abort)
  process.on('SIGTERM', abort)
  const tty = process.stdin.isTTY
  if (tty) {
    process.stdin.setRawMode(true)
    process.stdin.on('data', key)
    line('keys: p pause, r resume, q stop after the cards being written, Ctrl+C stop now')
  }
  return () => {
    process.off('SIGUSR1', pause)
    process.off('SIGUSR2', resume)
    process.off('SIGINT', abort)
    process.off('SIGTERM', abort)
    if (tty) {
      process.stdin.off('data', key)
      process.stdin.setRawMode(false)
      process.stdin.pause()
    }
  }
}

