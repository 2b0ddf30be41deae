/**
 * `npm run web`: core + the built renderer on loopback, for development and machines
 * without Electron or a display. Prints the URL (with its token) to open.
 * `--json` prints one JSON line instead, for the e2e launcher.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCore } from '../core'
import { startBridge } from './server'

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { name: string; version: string }
const json = process.argv.includes('--json')
const portFlag = process.argv.indexOf('--port')
const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 0

// e2e: factory mode's test drives from a private root-owned folder (the drive list accepts no other), polled faster.
const factoryDrives = process.env.ORCHARD_FACTORY_TEST_DRIVES_DIR
const core = createCore({
  runtime: { name: pkg.name, version: pkg.version, runtime: 'node' },
  ...(factoryDrives && { factory: { testDrivesDir: factoryDrives, pollMs: Number(process.env.ORCHARD_FACTORY_POLL_MS) || undefined } }),
})
const bridge = await startBridge({
  ...core,
  port,
  staticDir: path.join(projectRoot, 'out', 'renderer'),
})

if (json) {
  console.log(JSON.stringify({ url: bridge.url, origin: bridge.origin, token: bridge.token }))
} else {
  console.log(`Orchard is running on loopback. Open:\n\n  ${bridge.url}\n\n(the token in the URL guards the bridge; Ctrl+C stops it)`)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void bridge.close().then(() => process.exit(0)))
}
