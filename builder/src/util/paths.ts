import os from 'node:os'
import path from 'node:path'

/** Where verified sources, decompressed images and fixtures are cached. */
export function cacheDir(env = process.env): string {
  if (env.ORCHARD_CACHE_DIR) return env.ORCHARD_CACHE_DIR
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? os.homedir(), 'Orchard', 'cache')
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'Orchard')
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orchard')
}

/** Where the app keeps its own data: settings, flash records. */
export function dataDir(env = process.env): string {
  if (env.ORCHARD_DATA_DIR) return env.ORCHARD_DATA_DIR
  if (process.platform === 'win32') return path.join(env.APPDATA ?? os.homedir(), 'Orchard')
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Orchard')
  return path.join(env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'orchard')
}
