/** External tools the builder can use when present (faster paths), found on PATH or in sbin. */
import { accessSync, constants, statSync } from 'node:fs'
import path from 'node:path'

const EXTRA_DIRS = process.platform === 'win32' ? [] : ['/usr/local/sbin', '/usr/sbin', '/sbin']

/**
 * The absolute path of an executable on PATH (plus the sbin dirs, which hold mkfs.vfat,
 * debugfs and losetup but are not on every user's PATH), or null. Synchronous: a few stat
 * calls, and usable where a test decides what to skip.
 * `ORCHARD_DISABLE_TOOLS=xz,cp` hides tools, so the JavaScript fallbacks can be tested
 * (and used) on a machine that has the tools.
 */
export function findExecutable(name: string): string | null {
  if ((process.env.ORCHARD_DISABLE_TOOLS ?? '').split(',').includes(name)) return null
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS]
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : ['']
  for (const dir of dirs) {
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension)
      try {
        accessSync(candidate, constants.X_OK)
        if (statSync(candidate).isFile()) return candidate
      } catch {
        // not here; keep looking
      }
    }
  }
  return null
}

/** lzma-native, the JavaScript-side fallback for xz (a CommonJS module: its exports may sit on `default`). */
export async function loadLzma(): Promise<typeof import('lzma-native')> {
  const module = await import('lzma-native')
  return 'createDecompressor' in module ? module : (module as { default: typeof module }).default
}

/** Whether a process still exists (EPERM: it does, but is someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
