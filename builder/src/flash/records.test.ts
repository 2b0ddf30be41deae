import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { appendRecords, readRecords, RECORD_FIELDS, recordsToCsv, type CardRecord } from './records'

const record: CardRecord = {
  jobId: 'job-1',
  destination: '/dev/sdb',
  kind: 'drive',
  size: 32_000_000_000,
  serial: '=cmd|\' /C calc\'!A0',
  hostname: 'pi-1',
  imageSha256: 'ab'.repeat(32),
  recipeSha256: 'cd'.repeat(32),
  bytesWritten: 1024,
  verified: true,
  deviceFilesHash: null,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:01:00.000Z',
  ok: false,
  error: '-1+@SUM(A1), "failed"',
}

describe('recordsToCsv', () => {
  it('writes a header row and one row per record, quoting where RFC 4180 needs it', () => {
    const [header, row, end] = recordsToCsv([{ ...record, serial: 'SN1', error: null }]).split('\r\n')
    expect(header).toBe(RECORD_FIELDS.join(','))
    expect(row).toBe(`job-1,/dev/sdb,drive,32000000000,SN1,pi-1,${'ab'.repeat(32)},${'cd'.repeat(32)},1024,true,,2026-01-01T00:00:00.000Z,2026-01-01T00:01:00.000Z,false,`)
    expect(end).toBe('')
  })

  it('leaves the recipe hash empty for a plain copy and for records written before it existed', () => {
    const { recipeSha256: _absent, ...older } = record
    const rows = recordsToCsv([{ ...record, recipeSha256: null }, older]).split('\r\n')
    for (const row of rows.slice(1, 3)) expect(row).toContain(`${'ab'.repeat(32)},,1024,`)
  })

  // The serial comes from the USB device and the error from whatever failed: a spreadsheet must not run either (OWASP CSV injection).
  it('neutralises cells a spreadsheet would run as a formula with a leading single quote', () => {
    const row = recordsToCsv([record]).split('\r\n')[1]!
    expect(row).toContain(`,'=cmd|' /C calc'!A0,`)
    expect(row.endsWith(`,"'-1+@SUM(A1), ""failed"""`)).toBe(true)
  })
})

describe('the record file after a stop mid-append', () => {
  it('skips the torn line when read, and the next append starts on a line of its own', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-records-'))
    try {
      const file = path.join(dir, 'records.jsonl')
      await writeFile(file, `${JSON.stringify(record)}\n${JSON.stringify({ ...record, hostname: 'pi-2' }).slice(0, 40)}`)
      expect((await readRecords(file)).map((r) => r.hostname)).toEqual(['pi-1'])
      await appendRecords([{ ...record, hostname: 'pi-3' }], file)
      expect((await readRecords(file)).map((r) => r.hostname)).toEqual(['pi-1', 'pi-3'])
      expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(4) // pi-1, the torn line, pi-3, and the end
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
