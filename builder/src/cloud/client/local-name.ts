/**
 * Local file names derived from S3 keys. A key is whatever the bucket holds (any build, or
 * anyone with s3:PutObject, may write `builds/<id>/..\evil.img.xz`), so every name the
 * client puts on disk goes through `localFileName`: a plain file name on every OS, or a
 * refusal. Checked with both Node path flavours, so Linux refuses what would escape on
 * Windows (`..\`, `C:`, `\\server\share`) and the other way round.
 */
import path from 'node:path'
import { BuildError } from '../../util/errors'

/** Names Windows gives to devices whatever the extension (CON.txt opens the console). */
const WINDOWS_DEVICES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i
/** Separators, drive and stream colons, wildcards and characters Windows refuses in names. */
const NOT_IN_NAMES = /[/\\:*?"<>|\u0000-\u001f\u007f]/ // eslint-disable-line no-control-regex
const MAX_NAME = 200

/** Why `name` is not a plain file name, or null when it is one. Pure. */
export function notAPlainFileName(name: string): string | null {
  if (!name) return 'it is empty'
  if (name.length > MAX_NAME) return `it is over ${MAX_NAME} characters`
  if (name === '.' || name === '..') return 'it names a folder'
  if (path.posix.isAbsolute(name) || path.win32.isAbsolute(name)) return 'it is an absolute path'
  const bad = NOT_IN_NAMES.exec(name)
  if (bad) return `it holds ${JSON.stringify(bad[0])}, a path separator, drive or character files may not have`
  if (path.posix.basename(name) !== name || path.win32.basename(name) !== name) return 'it is a path, not a file name'
  if (/[. ]$/.test(name)) return 'it ends in a dot or a space (Windows drops them)'
  if (WINDOWS_DEVICES.test(name)) return 'it is a Windows device name'
  return null
}

/** `name` when it is a plain file name; else a FORBIDDEN error naming `key`, the object it came from. */
export function localFileName(name: string, key: string): string {
  const why = notAPlainFileName(name)
  if (why) throw new BuildError('FORBIDDEN', `Refused s3 object ${JSON.stringify(key)}: the file name it gives, ${JSON.stringify(name)}, is not a plain file name (${why}). Nothing was written.`, { key, name })
  return name
}

/** Pure: `dir/<name>` for a name `localFileName` accepted, checked once more to be directly inside `dir`. */
export function fileIn(dir: string, name: string, key: string): string {
  const file = path.join(path.resolve(dir), localFileName(name, key))
  if (path.dirname(file) !== path.resolve(dir)) throw new BuildError('FORBIDDEN', `Refused s3 object ${JSON.stringify(key)}: it would be written outside ${dir}`, { key, name })
  return file
}
