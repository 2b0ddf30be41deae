/** External tools the builder can use when present (faster paths), found on PATH or in sbin. */
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import path from 'node:path'

const EXTRA_DIRS = process.platform === 'win32' ? [] : ['/usr/local/sbin', '/usr/sbin', '/sbin']

/**
 * `ORCHARD_DISABLE_TOOLS=xz,pigz` hides tools, so the JavaScript fallbacks can be tested
 * (and used) on a machine that has the tools.
 */
export async function findExecutable(name: string): Promise<string | null> {
  if ((process.env.ORCHARD_DISABLE_TOOLS ?? '').split(',').includes(name)) return null
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS]
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : ['']
  for (const dir of dirs) {
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension)
      if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate
    }
  }
  return null
}

/** lzma-native, the JavaScript-side fallback for xz (a CommonJS module: its exports may sit on `default`). */
export async function loadLzma(): Promise<typeof import('lzma-native')> {
  const module = await import('lzma-native')
  return 'createDecompressor' in module ? module : (module as { default: typeof module }).default
}
