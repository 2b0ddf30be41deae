/** Page object for the Devices step: the table, CSV import, the scripts of the selected device. */
import type { Locator, Page } from '@playwright/test'

export class DevicesPage {
  readonly table: Locator
  readonly rows: Locator
  readonly csvProblems: Locator
  readonly summary: Locator

  constructor(readonly page: Page) {
    this.table = page.getByRole('table', { name: 'Devices' })
    this.rows = this.table.getByRole('row').filter({ has: page.getByRole('radio') })
    this.csvProblems = page.getByRole('list', { name: 'CSV problems' })
    this.summary = page.getByRole('status', { name: 'Devices summary' })
  }

  async importCsv(name: string, text: string): Promise<void> {
    await this.page.getByLabel('Import devices CSV file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) })
  }

  hostname(n: number): Locator {
    return this.page.getByRole('textbox', { name: `Hostname of device ${n}`, exact: true })
  }

  async select(n: number): Promise<void> {
    await this.page.getByRole('radio', { name: `Select device ${n}` }).check()
  }

  scripts(hostname: string): Locator {
    return this.page.getByRole('region', { name: `Startup scripts of ${hostname}` })
  }

  /** Opens a script of the selected device and edits it for that device only. */
  async editForDevice(hostname: string, file: string, content: string): Promise<void> {
    const scripts = this.scripts(hostname)
    await scripts.getByRole('button', { name: file }).click()
    await scripts.getByRole('radio', { name: `Only ${hostname}` }).check()
    await scripts.getByRole('textbox', { name: `Script editor: ${file}` }).fill(content)
  }

  preview(hostname: string, file: string): Locator {
    return this.page.getByLabel(`Preview of ${file} for ${hostname}`)
  }
}
