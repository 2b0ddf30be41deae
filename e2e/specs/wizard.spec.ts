import { WebSocket } from 'ws'
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient } from '@common/client'
import { expect, test } from '../fixtures'
import { WizardPage } from '../pages/WizardPage'

test('shows the wizard and this machine\'s real system check', async ({ app, bridge }, testInfo) => {
  const wizard = new WizardPage(app)
  await expect(app.getByRole('heading', { level: 1 })).toHaveText('Orchard')
  await expect(wizard.steps).toHaveText([/Recipe/, /Build/, /Devices/, /Flash/, /Card/])
  await expect(wizard.stepTitle).toHaveText('Recipe')

  await wizard.waitForSystemCheck()
  await expect(wizard.capabilities).toHaveCount(5)

  if (bridge) {
    // The page's verdicts must be core's: ask core directly over the same bridge.
    const client = createClient(createBridgeTransport(bridge.origin, bridge.token, WebSocket))
    const check = await client.call('system.check', {})
    for (const capability of check.capabilities) {
      const item = wizard.capability(capability.label)
      await expect(item).toHaveAttribute('data-ready', String(capability.ready))
      await expect(item.locator('summary')).toContainText(capability.ready ? 'Ready' : 'Missing')
      for (const probe of capability.probes) await expect(item).toContainText(probe.label)
    }
    const info = await client.call('app.info', {})
    await expect(wizard.footer).toContainText(`Orchard ${info.version} · ${info.runtime} · ${info.platform}/${info.arch}`)
    // The token is kept out of the address bar once the page has it.
    expect(app.url()).not.toContain('token=')
  }

  const screenshot = testInfo.outputPath('wizard.png')
  await app.screenshot({ path: screenshot, fullPage: true })
  await testInfo.attach('wizard', { path: screenshot, contentType: 'image/png' })
})

test('moves between steps by mouse and keyboard', async ({ app }) => {
  const wizard = new WizardPage(app)
  await wizard.step('Flash').click()
  await expect(wizard.stepTitle).toHaveText('Flash')
  await expect(wizard.step('Flash')).toHaveAttribute('aria-current', 'step')
  await expect(app).toHaveURL(/#\/flash$/)

  await wizard.step('Card').focus()
  await app.keyboard.press('Enter')
  await expect(wizard.stepTitle).toHaveText('Card')
  await expect(wizard.step('Flash')).not.toHaveAttribute('aria-current', 'step')

  await app.goBack()
  await expect(wizard.stepTitle).toHaveText('Flash')
})

test('checks the system again on request, hearing every probe as it finishes', async ({ app }) => {
  const wizard = new WizardPage(app)
  await wizard.waitForSystemCheck()
  const checked = app.locator('[data-checked-at]')
  const first = await checked.getAttribute('data-checked-at')

  await wizard.recheck.click()
  await expect(checked).not.toHaveAttribute('data-checked-at', first!)
  // One system.probe event per probe reached the page while the check ran.
  const probes = await wizard.capabilities.locator('.probes > li').count()
  expect(probes).toBeGreaterThan(5)
  await expect(checked).toContainText(`${probes} probes reported`)
})
