/**
 * bench/factory: 12 devices through 3 card readers (loop devices) held to 40, 40 and 10 MB/s
 * writes (cgroup-v1 blkio throttle), a 1 GiB image (mostly data, so a card's write is ~1 GiB),
 * verify on, two ways in one run:
 *   ours      — factory mode: every reader on its own; a new card goes in as soon as a reader's
 *               card is done (pulled, a short swap, a fresh card in), each card with its own device files
 *   lock-step — batches of 3 with etcher-sdk's multiWrite (every card at the pace of the slowest),
 *               the next batch at once when one ends (no person's delay charged)
 * Prints cards/hour for both, the ratio (target >= 1.8) and how busy the fast readers were (target
 * >= 90 %): over the run, until their own last card, and the best any split of whole cards could give.
 * Needs root (loop devices, the blkio cgroup). Usage:
 *   npm run bench -- factory
 *   node --import tsx bench/factory/run.ts [--image-mib 1024] [--devices 12] [--rates 40,40,10]
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { multiWrite, sourceDestination } from 'etcher-sdk'
import { listDrives } from '../../builder/src/flash/drives'
import { Factory, type FactoryEvent } from '../../builder/src/flash/factory/factory'
import { createCardReaders, type CardReader } from '../../builder/src/testing/card-reader'
import { makeDisk } from '../../builder/src/testing/disk-tools'
import { loopUnavailableReason } from '../../builder/src/testing/loop'
import { createThrottleGroup, throttleUnavailableReason } from '../../builder/src/testing/throttle'
import { formatBytes } from '../../builder/src/util/bytes'
import { cacheDir } from '../../builder/src/util/paths'

const MB = 1_000_000
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 ? process.argv[at + 1]! : fallback
}
const imageMib = Number(arg('image-mib', '1024'))
const deviceCount = Number(arg('devices', '12'))
const rates = arg('rates', '40,40,10').split(',').map((rate) => Number(rate) * MB)
const slots = rates.length

const problem = loopUnavailableReason() ?? throttleUnavailableReason()
if (problem) {
  console.log(`bench/factory needs ${problem}`)
  process.exit(1)
}

/** A disk image of `mib` MiB that is mostly data (random, so nothing compresses or trims it away), made once and cached. */
async function dataImage(mib: number): Promise<string> {
  const target = path.join(cacheDir(), 'bench', `factory-${mib}M.img`)
  if (existsSync(target)) return target
  await mkdir(path.dirname(target), { recursive: true })
  console.log(`making a ${mib} MiB image once (cached for later runs)…`)
  const work = await mkdtemp(path.join(path.dirname(target), 'factory-'))
  try {
    const root = path.join(work, 'root')
    await mkdir(root)
    const rootMib = mib - 4 - 48
    execFileSync('sh', ['-c', `head -c ${Math.floor(rootMib * 0.8) << 20} /dev/urandom > "${path.join(root, 'payload')}"`])
    makeDisk(path.join(work, 'image.img'), [{ type: 'c', filesystem: 'fat', mib: 48 }, { type: '83', filesystem: 'ext4', mib: rootMib, content: root }])
    execFileSync('mv', [path.join(work, 'image.img'), target])
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return target
}

const image = await dataImage(imageMib)
const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-bench-factory-'))
const cards = createCardReaders(dir, slots, (imageMib + 64) << 20)
const throttle = createThrottleGroup()
throttle.join() // both ways write from this process: held alike
cards.readers.forEach((reader, i) => throttle.limit(reader.device, { writeBps: rates[i]! }))
const devices = Array.from({ length: deviceCount }, (_, i) => {
  const hostname = `sensor-${String(i + 1).padStart(3, '0')}`
  return { hostname, variables: { HOSTNAME: hostname } }
})
console.log(`${deviceCount} devices, ${slots} readers at ${rates.map((r) => r / MB).join(', ')} MB/s, a ${formatBytes(imageMib << 20)} image, verify on`)

/** Factory mode with a card swapped in as soon as a reader's card is done; per reader, the seconds it spent on cards. */
async function ours(): Promise<{ seconds: number; busy: number[]; done: number[]; lastEnded: number[] }> {
  const busySince = new Map<string, number>()
  const lastEnded = new Map<string, number>()
  const busy = new Map<string, number>()
  const chains = new Map<string, Promise<void>>()
  const act = (reader: CardReader, step: () => Promise<void>) => chains.set(reader.device, (chains.get(reader.device) ?? Promise.resolve()).then(step).catch((error: Error) => console.error(error.message)))
  // A fresh card goes in only once the factory has seen the last one out (on a busy machine two polls can take seconds).
  const gone = new Map<string, () => void>()
  const seenOut = (drive: string) => new Promise<void>((resolve) => gone.set(drive, resolve))
  const cardsDone = new Map<string, number>()
  const onEvent = (event: FactoryEvent) => {
    if (event.type === 'slot-gone') gone.get(event.drive)?.()
    if (event.type !== 'slot') return
    if (process.env.ORCHARD_FACTORY_TRACE && event.slot.state !== 'writing') console.log(`  ${((Date.now() - start) / 1000).toFixed(1)} s ${event.slot.drive}: ${event.slot.message}`)
    const reader = cards.readers.find((r) => r.device === event.slot.drive)
    if (!reader) return
    const { state, drive } = event.slot
    if (state === 'writing' && !busySince.has(drive)) busySince.set(drive, Date.now())
    if (state === 'done' || state === 'failed') {
      busy.set(drive, (busy.get(drive) ?? 0) + (Date.now() - busySince.get(drive)!))
      lastEnded.set(drive, Date.now() - start)
      busySince.delete(drive)
      if (state === 'done') cardsDone.set(drive, (cardsDone.get(drive) ?? 0) + 1)
      act(reader, async () => {
        const out = seenOut(drive)
        await reader.pull()
        await out
        if (factory.queue().pending > 0) await reader.insert()
      })
    }
  }
  const factory: Factory = new Factory({
    image,
    devices,
    slots,
    recordFile: path.join(dir, 'records.jsonl'),
    stateFile: path.join(dir, 'state.json'),
    cache: path.join(dir, 'cache'),
    pollMs: 200,
    drives: { testDrivesDir: cards.testDrivesDir },
    eject: async () => null,
    onEvent,
  })
  let start = Date.now()
  const run = factory.run()
  await factory.ready()
  start = Date.now()
  for (const reader of cards.readers) await reader.insert()
  const summary = await run
  const seconds = (Date.now() - start) / 1000
  for (const out of gone.values()) out() // the run is over: nobody will see a card come out
  await Promise.all(chains.values())
  for (const reader of cards.readers) if (reader.inserted) await reader.pull()
  if (summary.queue.done !== deviceCount) throw new Error(`ours: ${summary.queue.done} of ${deviceCount} done`)
  return {
    seconds,
    busy: cards.readers.map((r) => (busy.get(r.device) ?? 0) / 1000),
    done: cards.readers.map((r) => cardsDone.get(r.device) ?? 0),
    lastEnded: cards.readers.map((r) => (lastEnded.get(r.device) ?? 0) / 1000),
  }
}

/** Batches of `slots` cards with etcher-sdk's multiWrite, verified, one after another. */
async function lockStep(): Promise<{ seconds: number }> {
  const start = Date.now()
  for (let done = 0; done < deviceCount; done += slots) {
    const batch = cards.readers.slice(0, Math.min(slots, deviceCount - done))
    for (const reader of batch) await reader.insert()
    const drives = await listDrives({ testDrives: 'root-file', testDrivesDir: cards.testDrivesDir })
    const destinations = batch.map((reader) => new sourceDestination.BlockDevice({ drive: drives.find((d) => d.device === reader.device)!.source, write: true, direct: true }))
    const result = await multiWrite.decompressThenFlash({
      source: new sourceDestination.File({ path: image }),
      destinations,
      verify: true,
      trim: true,
      numBuffers: 16,
      onFail: (_destination, error) => {
        throw error
      },
      onProgress: () => {},
    })
    if (result.failures.size) throw new Error('lock-step: a card failed')
    for (const reader of batch) await reader.pull()
  }
  return { seconds: (Date.now() - start) / 1000 }
}

/** The best fast-reader busy share any split of the devices over the readers could give, at each reader's measured seconds per card. */
function bestFastBusy(mine: { busy: number[]; done: number[] }): number {
  const perCard = mine.busy.map((seconds, i) => seconds / Math.max(mine.done[i]!, 1))
  const fast = Math.max(...rates)
  let best = { makespan: Infinity, busy: 0 }
  const split = (i: number, left: number, counts: number[]): void => {
    if (i === slots - 1) {
      const all = [...counts, left]
      const makespan = Math.max(...all.map((n, j) => n * perCard[j]!))
      const busy = Math.min(...all.map((n, j) => (n * perCard[j]!) / makespan).filter((_, j) => rates[j] === fast))
      if (makespan < best.makespan || (makespan === best.makespan && busy > best.busy)) best = { makespan, busy }
      return
    }
    for (let n = 0; n <= left; n++) split(i + 1, left - n, [...counts, n])
  }
  split(0, deviceCount, [])
  return 100 * best.busy
}

try {
  const mine = await ours()
  const perHour = (seconds: number) => (deviceCount * 3600) / seconds
  console.log(`ours       ${mine.seconds.toFixed(1)} s, ${perHour(mine.seconds).toFixed(1)} cards/hour`)
  const busyPercent = mine.busy.map((seconds) => (100 * seconds) / mine.seconds)
  console.log(`  readers: ${busyPercent.map((p, i) => `${rates[i]! / MB} MB/s ${mine.done[i]} cards, busy ${p.toFixed(0)} %`).join('; ')}`)
  const theirs = await lockStep()
  console.log(`lock-step  ${theirs.seconds.toFixed(1)} s, ${perHour(theirs.seconds).toFixed(1)} cards/hour (etcher-sdk multiWrite, batches of ${slots})`)
  const fast = Math.max(...rates)
  const fastBusy = Math.min(...busyPercent.filter((_, i) => rates[i] === fast))
  console.log(`fast readers busy (ours): ${fastBusy.toFixed(0)} % of the run (target >= 90 %)`)
  // With whole cards a fast reader can idle at the end with nothing left to take: how busy each
  // was until its own last card, and the best any schedule could do over the run.
  const untilLast = mine.busy.map((seconds, i) => (100 * seconds) / Math.max(mine.lastEnded[i]!, 1e-9))
  console.log(`  until its own last card: ${untilLast.filter((_, i) => rates[i] === fast).map((p) => `${p.toFixed(0)} %`).join(', ')}; best possible over the run with whole cards: ${bestFastBusy(mine).toFixed(0)} %`)
  console.log(`ratio factory-vs-lockstep: ${(theirs.seconds / mine.seconds).toFixed(2)} (cards/hour, ours over lock-step; target >= 1.8)`)
} finally {
  throttle.close()
  cards.close()
  await rm(dir, { recursive: true, force: true })
}
