/**
 * A writer running as root reads the source image on its caller's behalf: it must be a file
 * the caller could read, or a card would carry a copy of something only root may see. Judged
 * on the file as opened (no symlink followed) by its owner, group and mode bits.
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { BuildError } from '../../builder/src/util/errors'
import { runCommand } from '../../builder/src/util/process'

export interface FileFacts {
  uid: number
  gid: number
  mode: number
}

/** Pure: whether `uid` (in `groups`) may read a file with these owner, group and mode bits. */
export function mayRead(file: FileFacts, uid: number, groups: number[]): boolean {
  if (uid === 0) return true
  if (file.uid === uid) return (file.mode & 0o400) !== 0
  if (groups.includes(file.gid)) return (file.mode & 0o040) !== 0
  return (file.mode & 0o004) !== 0
}

export async function groupsOf(uid: number): Promise<number[]> {
  const { stdout } = await runCommand('id', ['-G', String(uid)])
  return stdout.trim().split(/\s+/).map(Number)
}

export async function assertCallerMayRead(file: string, callerUid: number): Promise<void> {
  if (process.getuid?.() !== 0 || callerUid === 0) return // not root, or root's own job: the OS already decides
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw new BuildError('FORBIDDEN', `The source ${file} cannot be opened for its caller (${error.code}): a link or a missing file`)
  })
  try {
    const stats = await handle.stat()
    if (!stats.isFile() || !mayRead(stats, callerUid, await groupsOf(callerUid))) {
      throw new BuildError('FORBIDDEN', `The source ${file} is not a file uid ${callerUid} may read: the writer copies nothing its caller could not read`)
    }
  } finally {
    await handle.close()
  }
}
