/**
 * `orchard factory` through the real bin/orchard.js: it waits for a card, flashes the one device
 * of the table on the card inserted while it runs, and ends; the same command again flashes
 * nothing (the state file says done); bad input is refused with exit 2 before anything starts.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCardReaders, type CardReaders } from '../testing/card-reader'
import { makeDisk } from '../testing/disk-tools'
import { loopUnavailableReason } from '../testing/loop'
import { EXIT } from './output'

const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))
const skip = loopUnavailableReason()
if (skip) console.log(`[factory-command.int] skipped: ${skip}`)

describe.skipIf(skip)('orchard factory', () => {
  let dir: string
  let image: string
  let cards: CardReaders
  const env = () => ({ ...process.env, ORCHARD_CACHE_DIR: path.join(dir, 'cache'), ORCHARD_DATA_DIR: path.join(dir, 'data'), ORCHARD_TEST_DRIVES_DIR: cards.testDrivesDir })
  const args = (...more: string[]) => [ORCHARD, 'factory', image, '--devices', path.join(dir, 'devices.csv'), '--record', path.join(dir, 'records.jsonl'), ...more]

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-factory-cli-'))
    image = makeDisk(path.join(dir, 'pi.img'), [{ type: 'c', filesystem: 'fat', mib: 40 }, { type: '83', filesystem: 'ext4', mib: 8 }])
    await writeFile(path.join(dir, 'devices.csv'), 'hostname,site\nkiosk-01,hall\n')
    cards = createCardReaders(dir, 1, 56 << 20)
  })

  afterAll(async () => {
    cards?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('flashes the card inserted while it runs, then ends; run again, it flashes nothing', async () => {
    const child = spawn(process.execPath, args(), { env: env() })
    let stderr = ''
    let inserted = false
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve))
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString()
      if (!inserted && stderr.includes('ready: insert cards')) {
        inserted = true
        void cards.readers[0]!.insert()
      }
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const code = await ended
    clearTimeout(timer)
    expect(stderr).toContain(`${cards.readers[0]!.device}: done: kiosk-01 — swap the card`)
    expect(code).toBe(EXIT.ok)
    expect(stderr).toContain('queue: 1 of 1 done, 0 writing, 0 waiting')
    const records = (await readFile(path.join(dir, 'records.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { hostname: string; ok: boolean; verified: boolean })
    expect(records).toMatchObject([{ hostname: 'kiosk-01', ok: true, verified: true }])
    const state = JSON.parse(await readFile(path.join(dir, 'devices.csv.factory.json'), 'utf8')) as { entries: { hostname: string; status: string }[] }
    expect(state.entries).toMatchObject([{ hostname: 'kiosk-01', status: 'done' }])

    const again = spawnSync(process.execPath, args('--json'), { env: env(), encoding: 'utf8', timeout: 60_000 })
    expect(again.status).toBe(EXIT.ok)
    expect(again.stdout).toContain('every device in the table is done already (reflash to flash them again)')
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({ type: 'result', records: [] })
  }, 90_000)

  it('refuses bad input before anything starts, exit 2', async () => {
    const slots = spawnSync(process.execPath, args('--slots', '0'), { env: env(), encoding: 'utf8', timeout: 30_000 })
    expect(slots.status).toBe(EXIT.usage)
    expect(slots.stderr).toContain('--slots must be a whole number of 1 or more, not 0')
    const missing = spawnSync(process.execPath, [ORCHARD, 'factory', image, '--devices', path.join(dir, 'nope.csv')], { env: env(), encoding: 'utf8', timeout: 30_000 })
    expect(missing.status).toBe(EXIT.usage)
    expect(missing.stderr).toContain(`Devices file not found: ${path.join(dir, 'nope.csv')}`)
  }, 60_000)
})
