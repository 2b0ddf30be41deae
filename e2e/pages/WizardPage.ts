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

  /** The system check has finished when the button is enabled again and the list is shown. */
  async waitForSystemCheck(): Promise<void> {
    await this.recheck.waitFor({ state: 'visible' })
    await this.capabilities.first().waitFor({ state: 'visible' })
  }
}
