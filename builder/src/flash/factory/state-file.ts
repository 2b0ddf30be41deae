/**
 * The factory's queue on disk, rewritten (whole, atomically) after every change, so pausing,
 * a crash or a restart keeps which devices are done. It names the image (and recipe) it was
 * made for: a run with other contents would silently mix two fleets, so it is refused unless
 * asked to flash everything again.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { BuildError } from '../../util/errors'
import type { QueueEntry } from './queue'

const Entry = z.object({
  hostname: z.string(),
  status: z.enum(['pending', 'writing', 'done']),
  attempts: z.number().int().nonnegative(),
  drive: z.string().nullable(),
  lastError: z.string().nullable(),
  doneAt: z.string().nullable(),
})

const FactoryState = z.object({
  version: z.literal(1),
  imageSha256: z.string(),
  recipeSha256: z.string().nullable(),
  /** The run that saved it: its records settle a device it left 'writing' (interrupted.ts). Older files lack it. */
  jobId: z.string().optional(),
  entries: z.array(Entry),
})
export type FactoryState = z.infer<typeof FactoryState>

/** What this run flashes: a saved state must be for the same. */
export interface Contents {
  imageSha256: string
  recipeSha256: string | null
}

export interface SavedQueue {
  entries: QueueEntry[]
  /** The run that saved them; null for none or an older file. */
  jobId: string | null
}

/** The entries an earlier run saved for these contents; none when there is no state file. */
export async function loadFactoryState(file: string, contents: Contents, { reflash = false } = {}): Promise<SavedQueue> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null
    throw new BuildError('INVALID_INPUT', `Cannot read the factory state ${file}: ${error.message}`)
  })
  if (text === null) return { entries: [], jobId: null }
  let state: FactoryState
  try {
    state = FactoryState.parse(JSON.parse(text))
  } catch {
    throw new BuildError('INVALID_INPUT', `${file} is not a factory state file (delete it to start the queue afresh)`)
  }
  const same = state.imageSha256 === contents.imageSha256 && state.recipeSha256 === contents.recipeSha256
  if (!same && !reflash) {
    throw new BuildError(
      'INVALID_INPUT',
      `${file} is the queue of another image or recipe (image sha256 ${state.imageSha256.slice(0, 12)}…${state.recipeSha256 ? `, recipe ${state.recipeSha256.slice(0, 12)}…` : ''}): ` +
        'use another --state file, or --reflash to flash every device again with this one',
    )
  }
  return { entries: state.entries, jobId: state.jobId ?? null }
}

export async function saveFactoryState(file: string, contents: Contents, entries: QueueEntry[], jobId: string): Promise<void> {
  const state: FactoryState = { version: 1, ...contents, jobId, entries }
  await mkdir(path.dirname(file), { recursive: true })
  // Written beside and renamed over: a crash mid-write never leaves half a queue.
  const partial = `${file}.${process.pid}.partial`
  await writeFile(partial, `${JSON.stringify(state, null, 2)}\n`)
  await rename(partial, file)
}
