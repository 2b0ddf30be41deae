/**
 * The real parts the wizard flow needs, made once per worker: the fixture image (built from
 * Debian packages on first use, cached), two loop devices offered as drives (to core through
 * ORCHARD_TEST_DRIVES, to the elevated writer through root's test-drive file), and a private
 * data dir so settings and flash records start empty.
 * Null, with the reason, where a part is missing; nothing is made when the launcher will skip.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fixtureUnavailableReason, testFixture } from '../builder/src/testing/test-fixture'
import { attachLoop, detachLoop, loopUnavailableReason } from '../builder/src/testing/loop'
import { addTestDrives } from '../builder/src/testing/test-drives'
import { launcherMissingReason, test as base } from './fixtures'

export interface Rig {
  dir: string
  fixture: string
  /** The loop devices, in the order core lists them. */
  drives: string[]
  env: Record<string, string>
}

export type RigState = { rig: Rig; missing: null } | { rig: null; missing: string }

const CARD_MIB = 640 // the fixture image is 488 MiB

export const test = base.extend<object, { rigState: RigState }>({
  rigState: [
    async ({ launcher }, use) => {
      const missing = launcherMissingReason(launcher) ?? loopUnavailableReason() ?? fixtureUnavailableReason('arm64')
      if (missing) return use({ rig: null, missing })
      const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-e2e-'))
      const drives: string[] = []
      let removeTestDrives = async () => {}
      try {
        const fixture = await testFixture('arm64')
        for (const name of ['card-a', 'card-b']) {
          const file = path.join(dir, `${name}.disk`)
          execFileSync('truncate', ['-s', `${CARD_MIB}M`, file])
          drives.push(attachLoop(file))
        }
        drives.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
        removeTestDrives = await addTestDrives(drives)
        const env = { ORCHARD_TEST_DRIVES: drives.join(','), ORCHARD_DATA_DIR: path.join(dir, 'data') }
        await use({ rig: { dir, fixture, drives, env }, missing: null })
      } finally {
        await removeTestDrives()
        for (const device of drives) detachLoop(device)
        await rm(dir, { recursive: true, force: true })
      }
    },
    { scope: 'worker', timeout: 600_000 },
  ],
  appEnv: [async ({ rigState }, use) => use(rigState.rig?.env ?? {}), { scope: 'worker' }],
})

export { expect } from '@playwright/test'
