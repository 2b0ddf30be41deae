/**
 * Where the Electron binary is, without triggering the download that `require('electron')`
 * starts when it is missing (that download cannot work offline).
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const electronDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'electron')

/** @returns {string | null} the executable's absolute path, or null when it is not installed */
export function findElectronBinary() {
  const pathFile = path.join(electronDir, 'path.txt')
  if (!existsSync(pathFile)) return null
  const executable = readFileSync(pathFile, 'utf8').trim()
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(electronDir, 'dist')
  const full = path.join(distDir, executable)
  return existsSync(full) ? full : null
}

export const ELECTRON_INSTALL_SCRIPT = path.join(electronDir, 'install.js')
