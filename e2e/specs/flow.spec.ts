/**
 * The whole wizard against the real core: write a recipe → quick build of the fixture →
 * import 3 devices from CSV → edit device 2's run-once script → flash 2 loop devices and an
 * image file → 3 verified records → the Card step shows device 2's edited script on its
 * card. Bad input (a bad CSV, an invalid hostname) shows its inline errors. A screenshot of
 * every step is attached to the test's output.
 */
import { realpath } from 'node:fs/promises'
import path from 'node:path'
import type { Page, TestInfo } from '@playwright/test'
import { WebSocket } from 'ws'
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient } from '@common/client'
import { BuildPage } from '../pages/BuildPage'
import { CardPage } from '../pages/CardPage'
import { DevicesPage } from '../pages/DevicesPage'
import { FlashPage } from '../pages/FlashPage'
import { RecipePage } from '../pages/RecipePage'
import { WizardPage } from '../pages/WizardPage'
import { expect, test } from '../rig'

test.describe.configure({ mode: 'serial' })

async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  await testInfo.attach(name, { path: file, contentType: 'image/png' })
}

const GOOD_CSV = 'hostname,static ip,site\r\ne2e-001,10.0.0.11/24,north\r\ne2e-002,10.0.0.12/24,south\r\ne2e-003,10.0.0.13/24,"east, hall 2"\r\n'
const BAD_CSV = 'hostname,site\ne2e-001,north\nBad_Host,south\ne2e-001,west\n"unclosed,east\n'
const EDITED = '#!/bin/sh\necho "edited for {{HOSTNAME}} at {{SITE}}"\n'

test('recipe → quick build → 3 devices from CSV → per-device script → flash 2 cards and a file → card shows the script', async ({ app, rigState, bridge }, testInfo) => {
  test.skip(!rigState.rig, rigState.missing ?? '')
  test.setTimeout(600_000)
  const rig = rigState.rig!
  const wizard = new WizardPage(app)
  const [loopA, loopB] = rig.drives as [string, string]
  const imageFile = path.join(rig.dir, 'e2e-003.img')

  await test.step('Recipe: a local source, a user, and an invalid hostname shown at its field', async () => {
    const recipe = new RecipePage(app)
    await recipe.name.fill('e2e-fleet')
    await recipe.useLocalImage(rig.fixture)
    await recipe.hostname.fill('Bad_Host!')
    await expect(recipe.hostname).toHaveAttribute('aria-invalid', 'true')
    await expect(recipe.hostname).toHaveAccessibleDescription(/must be 1–63 lowercase letters, digits or hyphens/)
    await recipe.hostname.fill('fleet-{{serial}}')
    await expect(recipe.hostname).toHaveAttribute('aria-invalid', 'false')
    await recipe.addUser('fleet', 'typed-once-secret')
    await recipe.saveAs(path.join(rig.dir, 'recipe.yml'))
    // The one local file this recipe carries: the source image, with its real path.
    await expect(recipe.carried).toContainText(`source.path ${await realpath(rig.fixture)}`)
    const yaml = await recipe.showYaml()
    expect(yaml).toMatch(/passwordHash: \$6\$/)
    expect(yaml).not.toContain('typed-once-secret')
    await screenshot(app, testInfo, '1-recipe')
  })

  let sha256 = ''
  await test.step('Build: quick build of the fixture, followed live', async () => {
    await wizard.step('Build').click()
    const build = new BuildPage(app)
    await expect(app.getByRole('radio', { name: 'Cloud (AWS)' })).toBeDisabled()
    ;({ sha256 } = await build.quickBuild())
    expect(sha256).toMatch(/^[0-9a-f]{64}$/)
    await expect(build.log).toContainText('Done:')
    await screenshot(app, testInfo, '2-build')
  })

  const devices = new DevicesPage(app)
  await test.step('Devices: a bad CSV is refused with its rows; a good one gives 3 devices', async () => {
    await wizard.step('Devices').click()
    await devices.importCsv('bad.csv', BAD_CSV)
    await expect(app.getByRole('alert').filter({ hasText: 'Nothing imported: bad.csv has' })).toBeVisible()
    await expect(devices.csvProblems).toContainText('Row 3, column “hostname”: Hostname "Bad_Host" is not valid')
    await expect(devices.csvProblems).toContainText('Row 4, column “hostname”: Hostname "e2e-001" is on rows 2 and 4')
    await expect(devices.csvProblems).toContainText('Row 5: Not valid CSV: a quoted field is not closed')
    await expect(devices.summary).toHaveText('0 devices')
    await screenshot(app, testInfo, '3a-devices-bad-csv')

    await devices.importCsv('devices.csv', GOOD_CSV)
    await expect(devices.csvProblems).toHaveCount(0)
    await expect(devices.rows).toHaveCount(3)
    await expect(devices.hostname(2)).toHaveValue('e2e-002')
    await expect(app.getByLabel('Static IP of device 3')).toHaveValue('10.0.0.13/24')

    await devices.hostname(1).fill('E2E_001')
    await expect(devices.hostname(1)).toHaveAccessibleDescription(/"E2E_001" is not a valid hostname/)
    await devices.hostname(1).fill('e2e-001')
    await expect(devices.hostname(1)).toHaveAttribute('aria-invalid', 'false')
  })

  await test.step("Devices: device 2's run-once script edited for it alone, previewed as it gets it", async () => {
    await devices.select(2)
    await devices.editForDevice('e2e-002', 'run-once/10-hello.sh', EDITED)
    await expect(devices.preview('e2e-002', 'run-once/10-hello.sh')).toHaveText('#!/bin/sh\necho "edited for e2e-002 at south"\n')
    // The others keep the template.
    await devices.select(1)
    await devices.scripts('e2e-001').getByRole('button', { name: 'run-once/10-hello.sh' }).click()
    await expect(devices.preview('e2e-001', 'run-once/10-hello.sh')).toContainText('Hello from e2e-001 (device 1)')
    await devices.select(2)
    await screenshot(app, testInfo, '3b-devices-script')
  })

  await test.step('Flash: 2 loop devices and an image file at once, 3 verified records', async () => {
    await wizard.step('Flash').click()
    const flash = new FlashPage(app)
    await expect(flash.image).toHaveValue(/e2e-fleet\.img$/)
    await expect(flash.drive(loopA)).toBeVisible()
    await flash.choose(loopA)
    await flash.choose(loopB)
    await flash.addImageFile(imageFile)
    await expect(flash.drive(loopA)).toContainText('Device: e2e-001')
    await expect(flash.drive(loopB)).toContainText('Device: e2e-002')
    await expect(app.getByRole('listitem', { name: 'Image file 1' })).toContainText('Device: e2e-003')
    await flash.flashButton(3).click()
    await expect(flash.progress(loopA)).toBeVisible()
    await expect(flash.batchRecords).toBeVisible({ timeout: 300_000 })
    await expect(app.getByRole('region', { name: 'Batch result' }).getByRole('heading')).toHaveText('All 3 cards flashed and verified')
    const rows = flash.batchRecords.getByRole('row').filter({ has: app.getByRole('cell', { name: 'verified', exact: true }) })
    await expect(rows).toHaveCount(3)
    for (const [destination, hostname] of [[loopA, 'e2e-001'], [loopB, 'e2e-002'], [imageFile, 'e2e-003']] as const) {
      await expect(flash.batchRecords.getByRole('row').filter({ hasText: destination })).toContainText(`${hostname}verifiedOK`)
      await expect(flash.progress(destination)).toHaveAttribute('aria-valuenow', '100')
    }
    if (bridge) {
      // The records are core's: ask it directly over the same bridge.
      const client = createClient(createBridgeTransport(bridge.origin, bridge.token, WebSocket))
      const { records } = await client.call('records.list', {})
      expect(records.map((r) => [r.destination, r.hostname, r.verified, r.ok, r.imageSha256])).toEqual([
        [loopA, 'e2e-001', true, true, sha256],
        [loopB, 'e2e-002', true, true, sha256],
        [imageFile, 'e2e-003', true, true, sha256],
      ])
    }
    await screenshot(app, testInfo, '4-flash')
  })

  await test.step("Card: device 2's card shows its edited script and its build info", async () => {
    await wizard.step('Card').click()
    const card = new CardPage(app)
    await card.openDrive(loopB)
    const editor = await card.showFile('run-once/10-hello.sh')
    await expect(editor).toHaveText(/echo "edited for e2e-002 at south"/)
    await expect(card.files.getByRole('button', { name: 'device.env', exact: true })).toBeVisible()
    await expect(card.buildInfo).toContainText('"name": "e2e-fleet"')
    await screenshot(app, testInfo, '5-card')
  })
})
