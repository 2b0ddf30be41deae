/** Page object for the Flash step: drive cards, image-file destinations, the batch. */
import type { Locator, Page } from '@playwright/test'

export class FlashPage {
  readonly image: Locator
  readonly batchRecords: Locator

  constructor(readonly page: Page) {
    this.image = page.getByLabel('Image to flash')
    this.batchRecords = page.getByRole('table', { name: 'Records of this batch' })
  }

  drive(device: string): Locator {
    return this.page.getByRole('listitem', { name: `Drive ${device}` })
  }

  async choose(device: string): Promise<void> {
    await this.drive(device).getByRole('checkbox', { name: `Flash to ${device}` }).check()
  }

  async addImageFile(path: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Add image file' }).click()
    const count = await this.page.getByRole('list', { name: 'Image file destinations' }).getByRole('listitem').count()
    await this.page.getByLabel(`Path of image file ${count}`).fill(path)
  }

  flashButton(count: number): Locator {
    return this.page.getByRole('button', { name: `Flash ${count} card${count === 1 ? '' : 's'}` })
  }

  progress(target: string): Locator {
    return this.page.getByRole('progressbar', { name: `Progress of ${target}` })
  }
}
