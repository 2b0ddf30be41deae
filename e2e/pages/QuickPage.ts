/** Page object for the Quick flash screen. Roles and labels only. */
import type { Locator, Page } from '@playwright/test'

export class QuickPage {
  readonly link: Locator
  readonly imageFile: Locator
  readonly useImage: Locator
  readonly chosenImage: Locator
  readonly settings: Locator
  readonly hostname: Locator
  readonly userName: Locator
  readonly password: Locator
  readonly setPassword: Locator
  readonly sshKeys: Locator
  readonly wifi: Locator
  readonly ssid: Locator
  readonly passphrase: Locator
  readonly country: Locator
  readonly timezone: Locator
  readonly devicePattern: Locator
  readonly deviceCount: Locator
  readonly deviceQueue: Locator
  readonly addImageFile: Locator
  readonly blockers: Locator
  readonly batchRecords: Locator
  readonly batchHeading: Locator
  readonly nextBatch: Locator

  constructor(readonly page: Page) {
    this.link = page.getByRole('navigation', { name: 'Quick path' }).getByRole('link', { name: 'Quick flash' })
    const main = page.getByRole('region', { name: 'Quick flash' })
    this.imageFile = main.getByLabel('Image file', { exact: true })
    this.useImage = main.getByRole('button', { name: 'Use this image' })
    this.chosenImage = main.getByLabel('Chosen image')
    this.settings = main.getByRole('form', { name: 'Settings' })
    this.hostname = this.settings.getByLabel('Hostname', { exact: true })
    this.userName = this.settings.getByLabel('User name', { exact: true })
    this.password = this.settings.getByLabel('Password', { exact: true })
    this.setPassword = this.settings.getByRole('button', { name: 'Set password' })
    this.sshKeys = this.settings.getByLabel('SSH public keys')
    this.wifi = this.settings.getByLabel('Configure wifi')
    this.ssid = this.settings.getByLabel('Network name (SSID)')
    this.passphrase = this.settings.getByLabel('Wifi passphrase', { exact: true })
    this.country = this.settings.getByLabel('Wifi country')
    this.timezone = this.settings.getByLabel('Time zone')
    const pattern = main.getByRole('group', { name: 'Add devices by pattern' })
    this.devicePattern = pattern.getByLabel('Hostname pattern')
    this.deviceCount = pattern.getByLabel('How many')
    this.deviceQueue = main.getByRole('status', { name: 'Device queue' })
    this.addImageFile = main.getByRole('button', { name: 'Add image file' })
    this.blockers = main.getByRole('list', { name: 'Before flashing' })
    this.batchRecords = main.getByRole('table', { name: 'Records of this batch' })
    this.batchHeading = main.getByRole('region', { name: 'Batch result' }).getByRole('heading')
    this.nextBatch = main.getByRole('button', { name: 'Flash the next batch' })
  }

  addDevices(count: number): Locator {
    return this.page.getByRole('button', { name: `Add ${count} device${count === 1 ? '' : 's'}` })
  }

  driveCheckbox(device: string): Locator {
    return this.page.getByRole('listitem', { name: `Drive ${device}` }).getByRole('checkbox', { name: `Flash to ${device}` })
  }

  drive(device: string): Locator {
    return this.page.getByRole('listitem', { name: `Drive ${device}` })
  }

  imageFilePath(n: number): Locator {
    return this.page.getByLabel(`Path of image file ${n}`)
  }

  flashButton(count: number): Locator {
    return this.page.getByRole('button', { name: `Flash ${count} card${count === 1 ? '' : 's'}` })
  }

  progress(target: string): Locator {
    return this.page.getByRole('progressbar', { name: `Progress of ${target}` })
  }
}
