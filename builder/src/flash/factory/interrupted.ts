/**
 * A run that stopped between a card's record and the queue's save (a crash, a power cut) left
 * its device 'writing' though the card was good and recorded. Such a device is settled from
 * the record file, by the stopped run's job id, so a restart never flashes it twice; any
 * other device left 'writing' waits again (queue.ts). A record line torn by the stop is ended,
 * so the next record starts on a line of its own.
 */
import { appendFile, readFile } from 'node:fs/promises'
import type { CardRecord } from '../records'
import type { QueueEntry } from './queue'

export async function settleInterrupted(entries: QueueEntry[], lastJobId: string | null, recordFile: string): Promise<QueueEntry[]> {
  const text = await readFile(recordFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  if (text && !text.endsWith('\n')) await appendFile(recordFile, '\n')
  if (!lastJobId || !entries.some((entry) => entry.status === 'writing')) return entries
  const good = new Map<string, string>() // hostname → when its card ended
  for (const line of text.split('\n')) {
    const record = parseRecord(line)
    if (record?.ok && record.jobId === lastJobId && record.hostname) good.set(record.hostname, record.endedAt)
  }
  return entries.map((entry) =>
    entry.status === 'writing' && good.has(entry.hostname) ? { ...entry, status: 'done', lastError: null, doneAt: good.get(entry.hostname)! } : entry,
  )
}

function parseRecord(line: string): CardRecord | null {
  try {
    return line ? (JSON.parse(line) as CardRecord) : null
  } catch {
    return null // the torn last line of a stopped run
  }
}
