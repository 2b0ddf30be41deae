/**
 * The `app` fixture: a Page showing Orchard, from whichever launcher the project names.
 * A launcher whose part is missing here skips with the reason printed.
 */
import { test as base, type Page } from '@playwright/test'
import { startBridgeServer, type BridgeServer } from './launchers/bridge'
import { chromiumMissingReason, launchChromium } from './launchers/chromium'
import { electronMissingReason, launchElectron } from './launchers/electron'

export type Launcher = 'bridge' | 'electron'

interface WorkerFixtures {
  launcher: Launcher
  bridge: BridgeServer | null
}

export const test = base.extend<{ app: Page }, WorkerFixtures>({
  launcher: ['bridge', { option: true, scope: 'worker' }],

  bridge: [
    async ({ launcher }, use) => {
      if (launcher !== 'bridge') return use(null)
      const server = await startBridgeServer()
      await use(server)
      await server.stop()
    },
    { scope: 'worker' },
  ],

  app: async ({ launcher, bridge }, use, testInfo) => {
    const missing = launcher === 'electron' ? electronMissingReason() : chromiumMissingReason()
    if (missing) {
      console.log(`[e2e:${testInfo.project.name}] skipping "${testInfo.title}": ${missing}`)
      testInfo.skip(true, missing)
      return
    }
    if (launcher === 'electron') {
      const electronApp = await launchElectron()
      await use(await electronApp.firstWindow())
      await electronApp.close()
      return
    }
    const browser = await launchChromium()
    const page = await browser.newPage()
    await page.goto(bridge!.url)
    await use(page)
    await browser.close()
  },
})

export { expect } from '@playwright/test'
