/** Debian's Chromium, started the way this machine allows (no sandbox as root, no network chatter). */
import { chromium, type Browser } from '@playwright/test'
import { existsSync } from 'node:fs'

export const chromiumPath = process.env.ORCHARD_CHROMIUM ?? '/usr/bin/chromium'

export function chromiumMissingReason(): string | null {
  return existsSync(chromiumPath)
    ? null
    : `No Chromium at ${chromiumPath}: run "sudo npm run setup:system" (Debian package chromium) or set ORCHARD_CHROMIUM`
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}
