import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { withCard, type CardEntry } from '../flash/card'
import { formatBytes } from '../util/bytes'
import { BuildError } from '../util/errors'
import { createReporter, exitCodeFor } from './output'

const TARGET = ['<target>', 'the card: a drive (/dev/sdX, Linux only for now) or an image file'] as const

/** `orchard card ls|cat|put|rm`: a flashed card's startup-scripts, edited without mounting. */
export function registerCardCommand(program: Command): void {
  const card = program.command('card').description("Read and edit a flashed card's startup-scripts (a drive or an image file), without mounting it")

  card
    .command('ls')
    .description('List a folder on the card, recursively')
    .argument(...TARGET)
    .argument('[dir]', '/startup-scripts (default), /buildinfo or a folder in them', '/startup-scripts')
    .option('--json', 'print JSON')
    .action((target: string, dir: string, options: { json?: boolean }) =>
      run(options, async (reporter) => {
        const entries = await withCard(target, 'read', (c) => c.list(dir))
        if (options.json) reporter.result({ entries }, () => '')
        else process.stdout.write(entries.map((entry) => `${describe(entry)}\n`).join(''))
      }),
    )

  card
    .command('cat')
    .description('Write a file from the card to stdout, byte for byte')
    .argument(...TARGET)
    .argument('<path>', 'a file under /startup-scripts or /buildinfo, or /cmdline.txt, /config.txt')
    .action((target: string, path: string) =>
      run({}, async () => {
        const content = await withCard(target, 'read', (c) => c.read(path))
        await new Promise<void>((resolve, reject) => process.stdout.write(content, (error) => (error ? reject(error) : resolve())))
      }),
    )

  card
    .command('put')
    .description('Write a file to the card (from --from, else stdin), making its folders')
    .argument(...TARGET)
    .argument('<path>', '/startup-scripts/device.env, or a file in /startup-scripts/run-once, every-time or resources')
    .option('--from <file>', 'a local file to copy (default: stdin)')
    .option('--json', 'print JSON')
    .action((target: string, path: string, options: { from?: string; json?: boolean }) =>
      run(options, async (reporter) => {
        const content = options.from === undefined ? await readStdin() : await readLocal(options.from)
        await withCard(target, 'write', (c) => c.write(path, content))
        reporter.result({ path, bytes: content.length }, () => `Wrote ${formatBytes(content.length)} to ${path}`)
      }),
    )

  card
    .command('rm')
    .description('Remove a file or an empty folder under /startup-scripts')
    .argument(...TARGET)
    .argument('<path>', 'a file or empty folder under /startup-scripts')
    .option('--json', 'print JSON')
    .action((target: string, path: string, options: { json?: boolean }) =>
      run(options, async (reporter) => {
        await withCard(target, 'write', (c) => c.remove(path))
        reporter.result({ path, removed: true }, () => `Removed ${path}`)
      }),
    )
}

async function run(options: { json?: boolean }, work: (reporter: ReturnType<typeof createReporter>) => Promise<void>): Promise<void> {
  const reporter = createReporter(Boolean(options.json))
  try {
    await work(reporter)
  } catch (error) {
    reporter.error(error)
    process.exitCode = exitCodeFor(error)
  }
}

function describe(entry: CardEntry): string {
  const size = entry.isDirectory ? '-' : String(entry.size)
  // FAT keeps local time: show it as local time again.
  const t = new Date(entry.mtime)
  const two = (n: number) => String(n).padStart(2, '0')
  const when = `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}`
  return `${size.padStart(10)}  ${when}  ${entry.path}${entry.isDirectory ? '/' : ''}`
}

async function readLocal(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BuildError('NOT_FOUND', `File not found: ${file}`)
    throw error
  }
}

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) throw new BuildError('INVALID_INPUT', 'Give the content with --from <file> or on stdin')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
