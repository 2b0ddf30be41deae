/**
 * The slow-card helpers themselves, through the real flash: a throttled reader holds our
 * writer to the rate; cards come and go in the drive list at run time; a card pulled
 * mid-write makes the write fail (ENOSPC) and the flash report it, not hang.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listDrives } from '../flash/drives'
import { flashImage } from '../flash/write'
import { createCardReaders, type CardReaders } from './card-reader'
import { payloadDisk } from './disk-tools'
import { loopUnavailableReason } from './loop'
import { createThrottleGroup, throttleUnavailableReason, type ThrottleGroup } from './throttle'

const skip = loopUnavailableReason() ?? throttleUnavailableReason()
if (skip) console.log(`[slow-cards.int] skipped: ${skip}`)

const MB = 1_000_000

describe.skipIf(skip)('slow and uneven cards', () => {
  let dir: string
  let image: string
  let cards: CardReaders
  let throttle: ThrottleGroup

  const driveIn = async (device: string) => (await listDrives({ testDrives: 'root-file', testDrivesDir: cards.testDrivesDir })).find((d) => d.device === device)
  /**
   * The record, the whole flash's seconds, and the write rate its progress reports show (bytes
   * between the first and the last report over the time between them: the checks and hashing before writing left out).
   */
  const flashTo = async (device: string) => {
    const drive = await driveIn(device)
    if (!drive) throw new Error(`${device} is not in the drive list`)
    const reports: { at: number; bytes: number }[] = []
    const onProgress = ({ phase, bytes }: { phase: string; bytes?: number }) => { if (phase === 'flashing' && bytes !== undefined) reports.push({ at: Date.now(), bytes }) }
    const start = Date.now()
    const [record] = await flashImage({ image, targets: [{ kind: 'drive', drive }], verify: false, cache: path.join(dir, 'cache'), recordsFile: null, onProgress })
    const [first, last] = [reports[0], reports.at(-1)]
    const rate = first && last && last.at > first.at ? ((last.bytes - first.bytes) * 1000) / (last.at - first.at) : null
    return { record: record!, seconds: (Date.now() - start) / 1000, rate }
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-slow-cards-'))
    image = await payloadDisk(dir, { payloadMib: 8, fatMib: 8, rootMib: 24 })
    cards = createCardReaders(dir, 2, 40 << 20)
    throttle = createThrottleGroup()
    throttle.join()
  })

  afterAll(async () => {
    throttle?.close()
    cards?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a card appears in the drive list when inserted and leaves it when pulled, read afresh at every listing', async () => {
    const [reader] = cards.readers
    expect(await driveIn(reader!.device)).toBeUndefined()
    await reader!.insert()
    expect(await driveIn(reader!.device)).toMatchObject({ size: 40 << 20, removable: true, system: false })
    await reader!.pull()
    expect(await driveIn(reader!.device)).toBeUndefined()
  })

  it('a throttled reader holds our writer to its rate; the same write unthrottled is several times faster', async () => {
    const [reader] = cards.readers
    await reader!.insert()
    const unthrottled = await flashTo(reader!.device)
    await reader!.pull()

    await reader!.insert()
    const rate = 4 * MB
    throttle.limit(reader!.device, { writeBps: rate })
    const { record, seconds, rate: achieved } = await flashTo(reader!.device)
    throttle.limit(reader!.device, {})
    await reader!.pull()
    expect(record).toMatchObject({ ok: true })
    console.log(`[slow-cards] ${record.bytesWritten} bytes at ${(achieved! / MB).toFixed(2)} MB/s held to ${rate / MB} MB/s in ${seconds} s; unthrottled ${unthrottled.seconds} s`)
    expect(record.bytesWritten).toBeGreaterThan(8 << 20)
    expect(achieved).toBeLessThan(rate * 1.25) // the kernel lets a short burst through first
    expect(achieved).toBeGreaterThan(rate * 0.8)
    // The throttle is what took the time: the same flash unthrottled, plus at least the 8 MiB payload at the rate.
    expect(seconds - unthrottled.seconds).toBeGreaterThan((0.8 * (8 << 20)) / rate)
  }, 60_000)

  it('a card pulled mid-write makes the write fail with ENOSPC and the flash report it, not hang', async () => {
    const [, reader] = cards.readers
    await reader!.insert()
    throttle.limit(reader!.device, { writeBps: 2 * MB }) // ~4 s for the whole write
    const flashing = flashTo(reader!.device)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await reader!.pull()
    const pulledAt = Date.now()
    const { record } = await flashing
    throttle.limit(reader!.device, {})
    expect(Date.now() - pulledAt).toBeLessThan(5000)
    expect(record).toMatchObject({ ok: false })
    expect(record.error).toMatch(/ENOSPC|no space/i)
    // Reads end at once too: nothing is left to read on a pulled card.
    expect(execFileSync('blockdev', ['--getsize64', reader!.device], { encoding: 'utf8' }).trim()).toBe('0')
  }, 60_000)
})
