/** Page object for the wizard frame: steps, the status panel, the footer. Roles and labels only. */
import type { Locator, Page } from '@playwright/test'

export class WizardPage {
  readonly steps: Locator
  readonly stepTitle: Locator
  readonly capabilities: Locator
  readonly recheck: Locator
  readonly footer: Locator

  constructor(readonly page: Page) {
    this.steps = page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('link')
    this.stepTitle = page.getByRole('main').getByRole('heading', { level: 2 })
    this.capabilities = page.getByRole('list', { name: 'Capabilities' }).locator(':scope > li')
    this.recheck = page.getByRole('button', { name: 'Check again' })
    this.footer = page.getByRole('contentinfo')
  }

  step(title: string): Locator {
    return this.page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('link', { name: title })
  }

  capability(label: string): Locator {
    return this.page.getByRole('listitem', { name: label, exact: true })
  }

  /** The system check has finished when its time is shown; the panel is opened if it sits collapsed (all ready). */
  async waitForSystemCheck(): Promise<void> {
    await this.recheck.waitFor({ state: 'visible' })
    await this.checkedAt.waitFor({ state: 'visible', timeout: 60_000 })
    const details = this.page.getByRole('complementary', { name: 'This computer' }).locator('details.status-details')
    if ((await details.getAttribute('open')) === null) await details.locator(':scope > summary').click()
    await this.capabilities.first().waitFor({ state: 'visible' })
  }

  get checkedAt(): Locator {
    return this.page.locator('[data-checked-at]')
  }
}
