/**
 * The `app` fixture: a Page showing Orchard, from whichever launcher the project names.
 * A launcher whose part is missing here skips with the reason printed. `appEnv` is added to
 * core's environment (a spec's test drives and private data dir); by default nothing.
 */
import { test as base, type Page } from '@playwright/test'
import { startBridgeServer, type BridgeServer } from './launchers/bridge'
import { chromiumMissingReason, launchChromium } from './launchers/chromium'
import { electronMissingReason, launchElectron } from './launchers/electron'

export type Launcher = 'bridge' | 'electron'

export interface WorkerFixtures {
  launcher: Launcher
  appEnv: Record<string, string>
  bridge: BridgeServer | null
}

/** Why this launcher cannot run here, or null. */
export const launcherMissingReason = (launcher: Launcher) => (launcher === 'electron' ? electronMissingReason() : chromiumMissingReason())

export const test = base.extend<{ app: Page }, WorkerFixtures>({
  launcher: ['bridge', { option: true, scope: 'worker' }],

  appEnv: [{}, { option: true, scope: 'worker' }],

  bridge: [
    async ({ launcher, appEnv }, use) => {
      if (launcher !== 'bridge' || launcherMissingReason(launcher)) return use(null)
      const server = await startBridgeServer(appEnv)
      await use(server)
      await server.stop()
    },
    { scope: 'worker' },
  ],

  app: async ({ launcher, bridge, appEnv }, use, testInfo) => {
    const missing = launcherMissingReason(launcher)
    if (missing) {
      console.log(`[e2e:${testInfo.project.name}] skipping "${testInfo.title}": ${missing}`)
      testInfo.skip(true, missing)
      return
    }
    if (launcher === 'electron') {
      const electronApp = await launchElectron(appEnv)
      await use(await electronApp.firstWindow())
      await electronApp.close()
      return
    }
    const browser = await launchChromium()
    // An explicit context: @axe-core/playwright refuses pages made by browser.newPage().
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage()
    await page.goto(bridge!.url)
    await use(page)
    await browser.close()
  },
})

export { expect } from '@playwright/test'
