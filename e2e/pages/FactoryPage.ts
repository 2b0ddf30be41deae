/** Page object for the Factory screen. Roles and labels only. */
import type { Locator, Page } from '@playwright/test'

export class FactoryPage {
  readonly link: Locator
  readonly imageFile: Locator
  readonly recipe: Locator
  readonly devicesCsv: Locator
  readonly slotsAtOnce: Locator
  readonly start: Locator
  readonly pause: Locator
  readonly resume: Locator
  readonly stopNow: Locator
  readonly announcements: Locator
  readonly queueSummary: Locator
  readonly waiting: Locator
  readonly done: Locator
  readonly failed: Locator

  constructor(readonly page: Page) {
    this.link = page.getByRole('navigation', { name: 'Factory mode' }).getByRole('link', { name: 'Factory' })
    const main = page.getByRole('region', { name: 'Factory' })
    this.imageFile = main.getByLabel('Image file', { exact: true })
    this.recipe = main.getByLabel('Recipe (optional)')
    this.devicesCsv = main.getByLabel('Devices CSV')
    this.slotsAtOnce = main.getByLabel('Cards at once')
    this.start = main.getByRole('button', { name: 'Start factory' })
    const controls = main.getByRole('group', { name: 'Run controls' })
    this.pause = controls.getByRole('button', { name: 'Pause' })
    this.resume = controls.getByRole('button', { name: 'Resume' })
    this.stopNow = controls.getByRole('button', { name: 'Stop now' })
    this.announcements = main.getByRole('status', { name: 'Slot changes' })
    this.queueSummary = main.getByLabel('Queue summary')
    this.waiting = main.getByRole('list', { name: 'Waiting' })
    this.done = main.getByRole('list', { name: 'Done' })
    this.failed = main.getByRole('list', { name: 'Failed' })
  }

  /** The card of one reader's slot. */
  slot(drive: string): Locator {
    return this.page.getByRole('list', { name: 'Card slots' }).getByRole('listitem', { name: `Slot ${drive}` })
  }

  stopCard(drive: string): Locator {
    return this.slot(drive).getByRole('button', { name: /^Stop this card/ })
  }
}
