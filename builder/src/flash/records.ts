/**
 * One record per card flashed: what went where, with which result. Appended as JSON lines
 * to the job log, so a crash never loses earlier cards; exported as JSON or CSV. A line torn
 * by a stop mid-append is skipped when read, and the next append starts on a line of its own.
 */
import { appendFile, mkdir, open, readFile } from 'node:fs/promises'
import path from 'node:path'
import { neutraliseFormula } from '../util/csv-formula'
import { dataDir } from '../util/paths'
import { CardRecord } from '../vocabulary'

export type { CardRecord }

/** The CSV columns, in the record's own order. */
export const RECORD_FIELDS: (keyof CardRecord)[] = CardRecord.keyof().options

export function recordsFile(dir = dataDir()): string {
  return path.join(dir, 'flash-records.jsonl')
}

export async function appendRecords(records: CardRecord[], file = recordsFile()): Promise<void> {
  if (!records.length) return
  await mkdir(path.dirname(file), { recursive: true })
  const lines = records.map((record) => `${JSON.stringify(record)}\n`).join('')
  await appendFile(file, (await endsTorn(file)) ? `\n${lines}` : lines)
}

/** Whether the file's last line lacks its newline (a stop mid-append). */
async function endsTorn(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => null)
  if (!handle) return false
  try {
    const { size } = await handle.stat()
    if (size === 0) return false
    const last = Buffer.alloc(1)
    await handle.read(last, 0, 1, size - 1)
    return last[0] !== 0x0a
  } finally {
    await handle.close()
  }
}

export async function readRecords(file = recordsFile()): Promise<CardRecord[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  return text.split('\n').flatMap((line) => {
    if (!line) return []
    try {
      return [JSON.parse(line) as CardRecord]
    } catch {
      return [] // torn by a stop mid-append
    }
  })
}

/** RFC 4180 CSV with a header row, as spreadsheets read it; formula cells neutralised (the serial comes from the USB device). */
export function recordsToCsv(records: CardRecord[]): string {
  const cell = (value: unknown) => {
    const text = neutraliseFormula(value === null || value === undefined ? '' : String(value))
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }
  return [RECORD_FIELDS.join(','), ...records.map((record) => RECORD_FIELDS.map((field) => cell(record[field])).join(','))].join('\r\n') + '\r\n'
}
