/** The packaged-app path: the built main process in a real Electron, where the binary exists. */
import { _electron, type ElectronApplication } from '@playwright/test'
import { findElectronBinary } from '../../scripts/electron-binary.mjs'
import { projectRoot } from './paths'

export function electronMissingReason(): string | null {
  return findElectronBinary()
    ? null
    : 'No Electron binary in node_modules/electron/dist (it cannot be downloaded on this machine); the chromium-bridge project runs the same specs'
}

/** `env` is added to the app's environment (its core runs in the main process). */
export function launchElectron(env: Record<string, string> = {}): Promise<ElectronApplication> {
  const executablePath = findElectronBinary()
  if (!executablePath) throw new Error(electronMissingReason()!)
  // Chromium refuses to start sandboxed as root (CI runners); normal users keep the sandbox.
  const args = process.getuid?.() === 0 ? ['--no-sandbox', projectRoot] : [projectRoot]
  return _electron.launch({ executablePath, args, cwd: projectRoot, env: { ...(process.env as Record<string, string>), ...env } })
}
