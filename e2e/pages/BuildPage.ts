/** Page object for the Build step. */
import { expect, type Locator, type Page } from '@playwright/test'

export class BuildPage {
  readonly quick: Locator
  readonly build: Locator
  readonly progress: Locator
  readonly log: Locator
  readonly result: Locator

  constructor(readonly page: Page) {
    this.quick = page.getByRole('radio', { name: 'Quick' })
    this.build = page.getByRole('button', { name: 'Build image' })
    this.progress = page.getByRole('progressbar', { name: 'Build progress' })
    this.log = page.getByRole('log', { name: 'Build log' })
    this.result = page.getByRole('region', { name: 'Build result' })
  }

  /** Starts a quick build and waits until it has finished well. */
  async quickBuild(): Promise<{ sha256: string }> {
    await expect(this.quick).toBeEnabled()
    await this.quick.check()
    await this.build.click()
    await expect(this.progress).toBeVisible()
    await expect(this.result).toBeVisible({ timeout: 240_000 })
    await expect(this.progress).toHaveAttribute('aria-valuenow', '100')
    return { sha256: (await this.result.getByLabel('Image SHA256').textContent())!.trim() }
  }
}
