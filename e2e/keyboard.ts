/**
 * Keyboard-only use of a page: focus moves with Tab (and Shift+Tab) only, never by a click or
 * focus() call; the helper just watches where focus is after each key.
 */
import type { Locator, Page } from '@playwright/test'

const MAX_TABS = 120

/** Presses Tab until `target` has focus; fails naming the target when it is not reachable. */
export async function tabTo(page: Page, target: Locator, { backwards = false } = {}): Promise<void> {
  for (let presses = 0; presses < MAX_TABS; presses += 1) {
    if (await target.evaluate((element) => element.matches(':focus')).catch(() => false)) return
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab')
  }
  throw new Error(`Not reachable with ${MAX_TABS} presses of ${backwards ? 'Shift+Tab' : 'Tab'}: ${target.toString()}`)
}

/** Replaces a text field's content by typing (select all, then type). */
export async function typeInto(page: Page, target: Locator, text: string): Promise<void> {
  await tabTo(page, target)
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.type(text)
}
