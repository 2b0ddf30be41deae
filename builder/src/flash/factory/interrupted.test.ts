import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CardRecord } from '../records'
import { settleInterrupted } from './interrupted'
import type { QueueEntry } from './queue'

describe('settleInterrupted', () => {
  let dir: string
  beforeEach(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-interrupted-'))))
  afterEach(() => rm(dir, { recursive: true, force: true }))

  const entry = (hostname: string, status: QueueEntry['status']): QueueEntry => ({ hostname, status, attempts: 1, drive: '/dev/sdb', lastError: null, doneAt: null })
  const record = (hostname: string, jobId: string, ok: boolean): string =>
    JSON.stringify({ jobId, hostname, ok, endedAt: `2026-12-04T10:00:0${hostname.slice(-1)}.000Z` } as Partial<CardRecord>)

  it("marks done a device the stopped run recorded good, and only that: another run's record, a failed card and a torn line count for nothing", async () => {
    const file = path.join(dir, 'records.jsonl')
    await writeFile(file, [record('s-1', 'run-a', true), record('s-2', 'run-a', false), record('s-3', 'run-b', true), record('s-4', 'run-a', true).slice(0, 30)].join('\n'))
    const entries = [entry('s-1', 'writing'), entry('s-2', 'writing'), entry('s-3', 'writing'), entry('s-4', 'writing'), entry('s-5', 'pending')]

    const settled = await settleInterrupted(entries, 'run-a', file)

    expect(settled.map((e) => [e.hostname, e.status, e.doneAt])).toEqual([
      ['s-1', 'done', '2026-12-04T10:00:01.000Z'],
      ['s-2', 'writing', null],
      ['s-3', 'writing', null],
      ['s-4', 'writing', null],
      ['s-5', 'pending', null],
    ])
  })

  it('settles nothing without the stopped run\'s id (a state file from before it was saved) or without a record file', async () => {
    const file = path.join(dir, 'records.jsonl')
    await writeFile(file, `${record('s-1', 'run-a', true)}\n`)
    expect((await settleInterrupted([entry('s-1', 'writing')], null, file))[0]!.status).toBe('writing')
    expect((await settleInterrupted([entry('s-1', 'writing')], 'run-a', path.join(dir, 'none.jsonl')))[0]!.status).toBe('writing')
  })
})
