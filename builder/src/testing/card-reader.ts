/**
 * For tests and benches: a card reader whose cards go in and come out while a flash runs.
 * The reader is a loop device over a sparse file; the drive list sees it only while it is named
 * in a root-owned test-drives folder (re-read at every poll), private to the test so parallel
 * tests never see each other's cards.
 *
 * Pulling a card must make I/O fail, as a real pull does. `losetup -d` on an open loop device
 * only detaches lazily (writes go on succeeding until the last close), so a pull instead drops
 * the device's capacity to zero under the writer: the backing file is truncated to nothing and
 * `losetup -c` re-reads its size. From then on every write fails with ENOSPC and reads end at
 * once (proved by card-reader.int.test.ts). Inserting a card gives it back its size, all zeros:
 * a fresh card.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { addTestDrives } from './test-drives'
import { attachLoop, detachLoop } from './loop'

export interface CardReader {
  /** The loop device: the drive the flash sees while a card is in. */
  readonly device: string
  readonly backing: string
  readonly inserted: boolean
  /** A fresh (zeroed) card of `bytes` goes in and the drive appears in the list. */
  insert(): Promise<void>
  /** The card comes out: the drive leaves the list and every I/O on it fails from now on. */
  pull(): Promise<void>
}

export interface CardReaders {
  /** The root-owned folder naming the readers that hold a card: give it to listDrives as testDrivesDir. */
  readonly testDrivesDir: string
  readonly readers: CardReader[]
  /** Detaches every loop device and removes the folder. */
  close(): void
}

/**
 * `count` empty readers for cards of `bytes`, backed by files in `workDir`. Its test-drives folder
 * lives under /run (root-owned all the way up, as the drive list demands; /tmp is writable by all).
 */
export function createCardReaders(workDir: string, count: number, bytes: number): CardReaders {
  mkdirSync('/run/orchard', { recursive: true, mode: 0o755 })
  const testDrivesDir = mkdtempSync('/run/orchard/test-drives-')
  const readers: CardReader[] = []
  const devices: string[] = []
  try {
    for (let i = 0; i < count; i++) {
      const backing = path.join(workDir, `reader-${i}.card`)
      writeFileSync(backing, '') // no card yet
      const device = attachLoop(backing)
      devices.push(device)
      readers.push(reader(device, backing, bytes, testDrivesDir))
    }
  } catch (error) {
    for (const device of devices) detachLoop(device)
    rmSync(testDrivesDir, { recursive: true, force: true })
    throw error
  }
  return {
    testDrivesDir,
    readers,
    close() {
      for (const device of devices) detachLoop(device)
      rmSync(testDrivesDir, { recursive: true, force: true })
    },
  }
}

function reader(device: string, backing: string, bytes: number, dir: string): CardReader {
  let unlist: (() => Promise<void>) | null = null
  const resize = (size: number) => {
    truncateSync(backing, size)
    execFileSync('losetup', ['--set-capacity', device])
  }
  return {
    device,
    backing,
    get inserted() {
      return unlist !== null
    },
    async insert() {
      if (unlist) throw new Error(`${device} already holds a card`)
      resize(0) // whatever the last card held is gone
      resize(bytes)
      unlist = await addTestDrives([device], dir)
    },
    async pull() {
      if (!unlist) throw new Error(`${device} holds no card`)
      await unlist()
      unlist = null
      resize(0)
    },
  }
}
