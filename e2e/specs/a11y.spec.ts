/**
 * Accessibility and look (issue 16): every screen, in the light and the dark theme, passes
 * axe-core with no serious or critical violation; its screenshot is written to
 * docs/screenshots/ (the README links them), so each e2e run shows the app as it is.
 * The theme toggle is saved in settings: a reload keeps it.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { projectRoot } from '../launchers/paths'
import { QuickPage } from '../pages/QuickPage'
import { WizardPage } from '../pages/WizardPage'
import { expect, test } from '../rig'

const SCREENS = [
  { id: 'quick', title: 'Quick flash' },
  { id: 'recipe', title: 'Recipe' },
  { id: 'build', title: 'Build' },
  { id: 'devices', title: 'Devices' },
  { id: 'flash', title: 'Flash' },
  { id: 'card', title: 'Card' },
  { id: 'factory', title: 'Factory' },
] as const
const THEMES = ['light', 'dark'] as const
const screenshots = path.join(projectRoot, 'docs', 'screenshots')

/** Serious and critical violations only, each with where it is, so a failure says what to fix. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((node) => `${v.impact} ${v.id}: ${v.help} at ${node.target.join(' ')}`))
}

test('every screen in both themes: no serious or critical axe violation, screenshot in docs/screenshots', async ({ app, rigState }, testInfo) => {
  test.skip(!rigState.rig, rigState.missing ?? '')
  test.setTimeout(420_000) // 12 axe runs: ~1–2 s each on an idle machine, 10–20 s under heavy load
  const rig = rigState.rig!
  const wizard = new WizardPage(app)
  // Only one project writes the docs' pictures.
  const keep = testInfo.project.name === 'chromium-bridge'
  if (keep) await mkdir(screenshots, { recursive: true })

  // The quick path with an image chosen and a setting typed, as a user sees it mid-way.
  const quick = new QuickPage(app)
  await quick.link.click()
  await quick.imageFile.fill(rig.fixture)
  await quick.useImage.click()
  await expect(quick.chosenImage).toBeVisible({ timeout: 60_000 })
  await quick.hostname.fill('pi-{{serial}}')
  await wizard.checkedAt.waitFor({ timeout: 60_000 })

  for (const theme of THEMES) {
    await app.emulateMedia({ colorScheme: theme })
    for (const screen of SCREENS) {
      await test.step(`${screen.title}, ${theme}`, async () => {
        await app.goto(`${app.url().split('#')[0]}#/${screen.id}`)
        await expect(app.getByRole('main').getByRole('heading', { level: 2 }).first()).toHaveText(screen.title)
        await expect(app.locator('html')).toHaveCSS('color-scheme', theme)
        expect.soft(await seriousViolations(app), `${screen.title} (${theme})`).toEqual([])
        if (keep) await app.screenshot({ path: path.join(screenshots, `${screen.id}-${theme}.png`) })
      })
    }
  }
})

test('the theme toggle wins over the system, and is kept across a reload', async ({ app, rigState, bridge }) => {
  test.skip(!rigState.rig, rigState.missing ?? '')
  const toggle = app.getByRole('combobox', { name: 'Theme' })
  await app.emulateMedia({ colorScheme: 'light' })
  await expect(toggle).toBeEnabled()
  await toggle.selectOption('dark')
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'dark')
  await expect(app.locator('html')).toHaveCSS('color-scheme', 'dark')
  // Over the bridge a reload forgets the token (client/connect.ts): load the bridge's URL again.
  if (bridge) await app.goto(bridge.url)
  else await app.reload()
  await expect(app.getByRole('combobox', { name: 'Theme' })).toHaveValue('dark')
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'dark')
  await app.getByRole('combobox', { name: 'Theme' }).selectOption('system')
  await expect(app.locator('html')).not.toHaveAttribute('data-theme', /.*/)
  await expect(app.locator('html')).toHaveCSS('color-scheme', 'light')
})
