/** Page object for the Card step: open a drive or image file, read and edit its startup-scripts. */
import type { Locator, Page } from '@playwright/test'

export class CardPage {
  readonly drive: Locator
  readonly open: Locator
  readonly files: Locator
  readonly buildInfo: Locator

  constructor(readonly page: Page) {
    this.drive = page.getByLabel('Drive', { exact: true })
    this.open = page.getByRole('button', { name: 'Open card' })
    this.files = page.getByRole('navigation', { name: 'Card files' })
    this.buildInfo = page.getByLabel('Build info', { exact: true })
  }

  async openDrive(device: string): Promise<void> {
    await this.page.getByRole('radio', { name: 'A drive' }).check()
    await this.drive.selectOption(device)
    await this.open.click()
  }

  /** `name` is the path under startup-scripts, e.g. run-once/10-hello.sh. */
  async showFile(name: string): Promise<Locator> {
    await this.files.getByRole('button', { name, exact: true }).click()
    return this.page.getByRole('textbox', { name: `Card file /startup-scripts/${name}` })
  }
}
