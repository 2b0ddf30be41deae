/**
 * The quick path with the keyboard only (issue 16): from choosing the stock fixture image to
 * three verified cards, two loop devices and one image file, each customised on the way by the
 * settings typed on the screen (a user, an SSH key, wifi, a time zone) and given its own device
 * from a hostname pattern. Focus moves by Tab only (e2e/keyboard.ts); nothing is clicked.
 * Then "Flash the next batch" keeps the settings and moves on to the next devices.
 */
import path from 'node:path'
import { WebSocket } from 'ws'
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient } from '@common/client'
import { tabTo, typeInto } from '../keyboard'
import { QuickPage } from '../pages/QuickPage'
import { expect, test } from '../rig'

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOosRO9SPu974iIyTk1A7q8WXoBYpTsCW/jrbvu+kVxe e2e@orchard'

test('quick path by keyboard only: stock image → settings → 3 devices → 2 loop devices and an image file, verified', async ({ app, rigState, bridge }) => {
  test.skip(!rigState.rig, rigState.missing ?? '')
  test.setTimeout(300_000)
  const rig = rigState.rig!
  const [loopA, loopB] = rig.drives as [string, string]
  const imageFile = path.join(rig.dir, 'quick-003.img')
  const quick = new QuickPage(app)
  const keys = app.keyboard

  await test.step('to the quick path, and the stock image chosen', async () => {
    await tabTo(app, quick.link)
    await keys.press('Enter')
    await expect(app).toHaveURL(/#\/quick$/)
    // No cloud or Docker on this path: only what a quick flash needs is checked and shown.
    const panel = app.getByRole('complementary', { name: 'This computer' })
    await expect(panel.locator('[data-checked-at]')).toBeVisible({ timeout: 60_000 })
    await expect(panel.locator('.capabilities > li')).toHaveCount(2)
    await expect(panel).not.toContainText('Cloud build (AWS)')
    await expect(panel).not.toContainText('Local Docker build')
    await typeInto(app, quick.imageFile, rig.fixture)
    await keys.press('Enter')
    await expect(quick.chosenImage).toContainText(path.basename(rig.fixture), { timeout: 60_000 })
  })

  await test.step('everyday settings typed: a user with password and key, wifi, a time zone', async () => {
    await typeInto(app, quick.userName, 'kbuser')
    await tabTo(app, quick.password)
    await keys.type('typed-once-secret')
    await keys.press('Enter')
    await expect(quick.settings.getByText('Password set (stored as a sha512crypt hash).')).toBeVisible()
    await typeInto(app, quick.sshKeys, SSH_KEY)
    await tabTo(app, quick.wifi)
    await keys.press('Space')
    await typeInto(app, quick.ssid, 'orchard-e2e')
    await tabTo(app, quick.passphrase)
    await keys.type('wifi-pass-phrase')
    await keys.press('Enter')
    await expect(quick.settings.getByText('Passphrase set (stored as its WPA key).')).toBeVisible()
    await typeInto(app, quick.country, 'GB')
    await typeInto(app, quick.timezone, 'Europe/London')
    await expect(quick.settings.locator('[aria-invalid="true"]')).toHaveCount(0)
  })

  await test.step('3 devices from a hostname pattern', async () => {
    await typeInto(app, quick.devicePattern, 'quick-{{n:03}}')
    await typeInto(app, quick.deviceCount, '3')
    await tabTo(app, quick.addDevices(3))
    await keys.press('Enter')
    await expect(quick.deviceQueue).toContainText('3 devices to flash: quick-001, quick-002, quick-003')
  })

  await test.step('cards: 2 loop devices and an image file, each with its device', async () => {
    await tabTo(app, quick.driveCheckbox(loopA))
    await keys.press('Space')
    await tabTo(app, quick.driveCheckbox(loopB))
    await keys.press('Space')
    await tabTo(app, quick.addImageFile)
    await keys.press('Enter')
    await typeInto(app, quick.imageFilePath(1), imageFile)
    await expect(quick.drive(loopA)).toContainText('Device: quick-001')
    await expect(quick.drive(loopB)).toContainText('Device: quick-002')
    await expect(app.getByRole('listitem', { name: 'Image file 1' })).toContainText('Device: quick-003')
    await expect(quick.blockers.getByRole('listitem')).toHaveCount(0)
  })

  await test.step('flash: 3 cards verified, the settings applied on the way', async () => {
    await tabTo(app, quick.flashButton(3), { backwards: true })
    await keys.press('Enter')
    await expect(quick.progress(loopA)).toBeVisible()
    await expect(quick.batchHeading).toHaveText('All 3 cards flashed and verified', { timeout: 240_000 })
    for (const [destination, hostname] of [[loopA, 'quick-001'], [loopB, 'quick-002'], [imageFile, 'quick-003']] as const) {
      await expect(quick.batchRecords.getByRole('row').filter({ hasText: destination })).toContainText(`${hostname}verifiedOK`)
    }
    if (bridge) {
      const client = createClient(createBridgeTransport(bridge.origin, bridge.token, WebSocket))
      // Other specs in this worker flash the same loop devices: this batch's records are the quick-00x ones.
      const records = (await client.call('records.list', {})).records.filter((r) => r.hostname?.startsWith('quick-'))
      expect(records.map((r) => [r.destination, r.hostname])).toEqual([[loopA, 'quick-001'], [loopB, 'quick-002'], [imageFile, 'quick-003']])
      // One recipe for the batch, applied to every card; the stock image's SHA256 in every record.
      expect(new Set(records.map((r) => r.recipeSha256)).size).toBe(1)
      expect(records[0]!.recipeSha256).toMatch(/^[0-9a-f]{64}$/)
      const { sha256 } = await client.call('files.sha256', { path: rig.fixture })
      expect(records.every((r) => r.imageSha256 === sha256 && r.verified === true)).toBe(true)
      // The image file is this batch's card 3: the quick recipe's build info and its own device.env.
      const { buildInfo } = await client.call('cards.buildInfo', { target: imageFile })
      expect(buildInfo).toMatchObject({ name: 'quick-flash' })
      expect(JSON.stringify(buildInfo)).not.toContain('typed-once-secret')
      const env = await client.call('cards.read', { target: imageFile, path: '/startup-scripts/device.env' })
      expect(env.content).toContain('quick-003')
    }
  })

  await test.step('the next batch keeps the image, the settings and the devices, and moves on to the next device', async () => {
    await tabTo(app, quick.nextBatch)
    await keys.press('Enter')
    await expect(quick.chosenImage).toContainText(path.basename(rig.fixture))
    await expect(quick.userName).toHaveValue('kbuser')
    await expect(quick.deviceQueue).toContainText('All 3 devices are flashed')
    await expect(quick.batchRecords).toHaveCount(0)
  })
})
