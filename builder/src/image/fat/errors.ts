/** Errors shaped like Node's fs errors: a `code`, and a message naming the path. */
export type FatErrorCode = 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY' | 'ENOSPC' | 'EINVAL' | 'EIO'

const DESCRIPTIONS: Record<FatErrorCode, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  ENOTEMPTY: 'directory not empty',
  ENOSPC: 'no space left on device',
  EINVAL: 'invalid argument',
  EIO: 'i/o error',
}

export class FatError extends Error {
  constructor(
    readonly code: FatErrorCode,
    message: string,
    readonly syscall?: string,
    readonly path?: string,
  ) {
    super(message)
    this.name = 'FatError'
  }
}

/** `ENOENT: no such file or directory, open '/x'`, as Node words it. */
export function fsError(code: FatErrorCode, syscall: string, path: string, why?: string): FatError {
  return new FatError(code, `${code}: ${why ?? DESCRIPTIONS[code]}, ${syscall} '${path}'`, syscall, path)
}

export const notFat = (): FatError => new FatError('EINVAL', 'not a FAT filesystem')

/** Damage found on disk (a broken cluster chain, a directory cycle): we stop rather than guess. */
export const corrupt = (what: string, syscall?: string, path?: string): FatError =>
  new FatError('EIO', `corrupt FAT filesystem: ${what}${path === undefined ? '' : ` (${syscall} '${path}')`}`, syscall, path)
