/** Path handling: absolute, '/'-separated, each component a valid long name. */
import { fsError } from './errors'
import { isValidLongName } from './names'

/** The path's components; the root is []. Bad names ('.', '..', `\ / : * ? " < > |`, control characters) throw EINVAL. */
export function splitPath(path: string, syscall: string): string[] {
  if (typeof path !== 'string' || path === '') throw fsError('ENOENT', syscall, String(path))
  const parts = path.split('/').filter((part) => part !== '')
  for (const part of parts) {
    if (!isValidLongName(part)) throw fsError('EINVAL', syscall, path, `invalid name '${part}'`)
  }
  return parts
}
