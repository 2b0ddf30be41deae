#!/usr/bin/env node
/**
 * `npm start`: builds and opens the desktop app. Needs the Electron binary (downloaded
 * on first use) and a display. Where either is missing it says so and points to
 * `npm run web`, which serves the same app to a browser on loopback.
 */
import { spawnSync } from 'node:child_process'
import { ELECTRON_INSTALL_SCRIPT, findElectronBinary } from './electron-binary.mjs'

const fallback = 'Run "npm run web" instead: the same app in your browser, served on 127.0.0.1 (it prints the URL to open).'

if (!findElectronBinary()) {
  console.log('Electron is not downloaded yet; fetching it once (about 100 MB)…')
  spawnSync(process.execPath, [ELECTRON_INSTALL_SCRIPT], { stdio: 'inherit' })
}
if (!findElectronBinary()) {
  console.error(`\nThe Electron binary is not installed and could not be downloaded (offline, or blocked).\n${fallback}`)
  process.exit(1)
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.error(`\nNo display server (neither DISPLAY nor WAYLAND_DISPLAY is set), so no window can open.\n${fallback}`)
  process.exit(1)
}

// Chromium will not run sandboxed as root; a normal user keeps the sandbox.
const args = ['electron-vite', 'preview', ...(process.getuid?.() === 0 ? ['--noSandbox'] : [])]
const result = spawnSync('npx', args, { stdio: 'inherit' })
process.exit(result.status ?? 1)
