/**
 * A run that stopped between a card's record and the queue's save (a crash, a power cut) left
 * its device 'writing' though the card was good and recorded. Such a device is settled from
 * the record file, by the stopped run's job id, so a restart never flashes it twice; any
 * other device left 'writing' waits again (queue.ts). A record torn by the stop is no record
 * (records.ts skips it).
 */
import { readRecords } from '../records'
import type { QueueEntry } from './queue'

export async function settleInterrupted(entries: QueueEntry[], lastJobId: string | null, recordFile: string): Promise<QueueEntry[]> {
  if (!lastJobId || !entries.some((entry) => entry.status === 'writing')) return entries
  const good = new Map<string, string>() // hostname → when its card ended
  for (const record of await readRecords(recordFile)) {
    if (record.ok && record.jobId === lastJobId && record.hostname) good.set(record.hostname, record.endedAt)
  }
  return entries.map((entry) =>
    entry.status === 'writing' && good.has(entry.hostname) ? { ...entry, status: 'done', lastError: null, doneAt: good.get(entry.hostname)! } : entry,
  )
}
