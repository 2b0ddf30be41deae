import { defineConfig } from '@playwright/test'
import { findElectronBinary } from './scripts/electron-binary.mjs'
import type { Launcher } from './e2e/fixtures'

if (!findElectronBinary()) {
  console.log('[e2e] No Electron binary installed: the "electron" project will skip; "chromium-bridge" runs the same specs.')
}

export default defineConfig<{ launcher: Launcher }>({
  testDir: 'e2e/specs',
  outputDir: 'test-results/e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e-report.json' }]],
  use: { trace: 'retain-on-failure' },
  projects: [
    { name: 'chromium-bridge', use: { launcher: 'bridge' } },
    { name: 'electron', use: { launcher: 'electron' } },
  ],
})
