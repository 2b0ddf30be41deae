/**
 * Factory mode (issue 17) through the screen, the bridge and the real core and writer: three
 * devices in a CSV, two card readers (loop devices that appear and disappear in a private
 * root-owned test-drives folder core polls). A card inserted flashes the next device and shows
 * "done: … — swap the card"; a fresh card gets the next one; a card pulled mid-write (its
 * reader throttled so the write is still going; the pull drops the loop device's capacity to
 * zero, so the writer's I/O really fails) shows failed and its device waits again, then is
 * written on the next card. Under a minute: a 24 MiB image.
 */
import { writeFileSync } from 'node:fs'
import AxeBuilder from '@axe-core/playwright'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createCardReaders, type CardReaders } from '../../builder/src/testing/card-reader'
import { makeDisk } from '../../builder/src/testing/disk-tools'
import { addTestDrives } from '../../builder/src/testing/test-drives'
import { createThrottleGroup, throttleUnavailableReason, type ThrottleGroup } from '../../builder/src/testing/throttle'
import { projectRoot } from '../launchers/paths'
import { FactoryPage } from '../pages/FactoryPage'
import { expect, test as rigTest } from '../rig'

interface Readers {
  dir: string
  image: string
  csv: string
  cards: CardReaders
}

// The readers exist before core starts (their folder is core's), the throttle group is joined
// before it too (the writer core starts inherits it).
const test = rigTest.extend<object, { readers: Readers | null; throttle: ThrottleGroup | null }>({
  throttle: [
    async ({ rigState }, use) => {
      if (!rigState.rig || throttleUnavailableReason()) return use(null)
      const group = createThrottleGroup()
      group.join()
      try {
        await use(group)
      } finally {
        group.close()
      }
    },
    { scope: 'worker' },
  ],
  readers: [
    async ({ rigState, throttle }, use) => {
      if (!rigState.rig || !throttle) return use(null)
      const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-e2e-factory-'))
      const content = path.join(dir, 'root')
      await mkdir(content)
      writeFileSync(path.join(content, 'payload'), Buffer.alloc(6 << 20, 7))
      const image = makeDisk(path.join(dir, 'base.img'), [{ type: 'c', filesystem: 'fat', mib: 16 }, { type: '83', filesystem: 'ext4', mib: 8, content }])
      const csv = path.join(dir, 'devices.csv')
      await writeFile(csv, 'hostname\nsensor-001\nsensor-002\nsensor-003\n')
      const cards = createCardReaders(dir, 2, 32 << 20)
      // The writer lists drives from root's own folder only: the readers are named there too.
      const unlist = await addTestDrives(cards.readers.map((r) => r.device))
      try {
        await use({ dir, image, csv, cards })
      } finally {
        await unlist()
        cards.close()
        await rm(dir, { recursive: true, force: true })
      }
    },
    { scope: 'worker' },
  ],
  appEnv: [
    async ({ rigState, readers }, use) =>
      use({ ...(rigState.rig?.env ?? {}), ...(readers && { ORCHARD_FACTORY_TEST_DRIVES_DIR: readers.cards.testDrivesDir, ORCHARD_FACTORY_POLL_MS: '250' }) }),
    { scope: 'worker' },
  ],
})

test('factory screen: cards inserted, swapped, stopped alone and pulled mid-write; the stopped and pulled device is re-queued and written later', async ({ app, rigState, readers, throttle, launcher }) => {
  test.skip(!rigState.rig, rigState.missing ?? '')
  test.skip(!readers, throttleUnavailableReason() ?? 'no card readers')
  test.skip(launcher !== 'bridge', 'the private factory test-drives folder is passed to the bridge server only')
  test.setTimeout(120_000)
  const [fast, slow] = readers!.cards.readers as [CardReaders['readers'][number], CardReaders['readers'][number]]
  throttle!.limit(slow.device, { writeBps: 2_000_000 }) // ~12 s for the image: time to pull it mid-write
  const factory = new FactoryPage(app)
  await factory.link.click()
  await factory.imageFile.fill(readers!.image)
  await factory.devicesCsv.fill(readers!.csv)
  await factory.slotsAtOnce.fill('2')
  await factory.start.click()
  // Cards go in once the run knows the drives already there (those are never offered).
  await expect(factory.announcements).toContainText('ready', { timeout: 20_000 })
  await expect(factory.queueSummary).toContainText('0 of 3 done')

  // A card in: the first device is written and the slot says to swap it.
  await fast.insert()
  await expect(factory.slot(fast.device)).toContainText('done: sensor-001', { timeout: 30_000 })
  await expect(factory.slot(fast.device)).toContainText('swap the card')
  await expect(factory.done).toContainText('sensor-001')
  // The running screen (a done slot, the queue) in both themes: no serious or critical axe
  // violation; its picture goes to docs/screenshots.
  for (const theme of ['dark', 'light'] as const) {
    await app.emulateMedia({ colorScheme: theme })
    await expect(app.locator('html')).toHaveCSS('color-scheme', theme)
    const { violations } = await new AxeBuilder({ page: app }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap((v) => v.nodes.map((n) => `${v.id} at ${n.target.join(' ')}`))
    expect.soft(serious, `running factory screen (${theme})`).toEqual([])
    await app.screenshot({ path: path.join(projectRoot, 'docs', 'screenshots', `factory-run-${theme}.png`), fullPage: true })
  }

  // Swapped: the card comes out (the slot goes), a fresh one gets the next device.
  await fast.pull()
  await expect(factory.slot(fast.device)).toHaveCount(0, { timeout: 10_000 })
  await fast.insert()
  await expect(factory.slot(fast.device)).toContainText('done: sensor-002', { timeout: 30_000 })

  // The slow reader's card is stopped alone from its slot: its device waits again.
  await slow.insert()
  await expect(factory.slot(slow.device).getByRole('progressbar')).toBeVisible({ timeout: 15_000 })
  await expect(factory.slot(slow.device)).toContainText('sensor-003')
  await factory.stopCard(slow.device).click()
  await expect(factory.slot(slow.device)).toContainText('stopped: sensor-003', { timeout: 20_000 })
  await expect(factory.waiting).toContainText('sensor-003')
  await slow.pull()
  await expect(factory.slot(slow.device)).toHaveCount(0, { timeout: 10_000 })

  // Next card in the slow reader is pulled mid-write: failed, and its device waits again.
  await slow.insert()
  await expect(factory.slot(slow.device).getByRole('progressbar')).toBeVisible({ timeout: 15_000 })
  await expect(factory.slot(slow.device)).toContainText('sensor-003')
  await slow.pull()
  await expect(factory.failed).toContainText('sensor-003', { timeout: 20_000 })
  await expect(factory.waiting).toContainText('sensor-003')

  // Its device goes on the next card in, and the run ends with all three done.
  await fast.pull()
  await expect(factory.slot(fast.device)).toHaveCount(0, { timeout: 10_000 })
  await fast.insert()
  await expect(factory.done).toContainText('sensor-003', { timeout: 30_000 })
  await expect(factory.queueSummary).toContainText('3 of 3 done')
  await expect(factory.announcements).toContainText(/ended|done/)
})
