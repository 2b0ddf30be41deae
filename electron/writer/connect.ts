/**
 * The second channel, for elevation mechanisms that cannot hand over pipes (macOS and
 * Windows prompts): the writer connects to a socket core made in a private folder and
 * proves itself with the one-time token core left there. Elevated, it reads that token from
 * a folder its caller controls, so before reading it checks the folder is a real 0700
 * folder of the caller's, and opens the token without following a link (no reading
 * /etc/shadow through a swapped-in symlink), judging the opened file: a regular 0600 file
 * of the caller's. Node cannot read a Unix socket's peer credentials (SO_PEERCRED), so the
 * socket itself is trusted for being the caller's, in that folder. Core deletes the folder.
 */
import { constants } from 'node:fs'
import { lstat, open } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { encodeLine } from '@common/writer-wire'
import type { Channel } from './session'

export interface ConnectTarget {
  socket: string
  tokenFile: string
  /** Whose files these must be: the user who started the writer, not the root it may run as. */
  callerUid: number
}

const MAX_TOKEN_BYTES = 1024

/** The one-time token, read only when folder and file can have been made by the caller alone. */
export async function readToken({ socket, tokenFile, callerUid }: ConnectTarget): Promise<string> {
  if (process.platform === 'win32') {
    // Named pipes live outside the file system; the token sits in the user's own %TEMP%, whose ACL keeps others out.
    return (await readBounded(tokenFile, constants.O_RDONLY)).trim()
  }
  const folder = path.dirname(tokenFile)
  if (path.dirname(socket) !== folder) throw new Error(`The socket and the token file must share one folder: ${socket}, ${tokenFile}`)
  const dir = await lstat(folder)
  if (!dir.isDirectory()) throw new Error(`${folder} is not a folder (a symbolic link?)`)
  ownedPrivately(folder, dir, callerUid, 0o700)
  const sock = await lstat(socket)
  if (!sock.isSocket() || sock.uid !== callerUid) throw new Error(`${socket} is not a socket of uid ${callerUid}`)
  return (await readBounded(tokenFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK, callerUid)).trim()
}

async function readBounded(file: string, flags: number, callerUid?: number): Promise<string> {
  const handle = await open(file, flags).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ELOOP' ? `${file} is a symbolic link` : `Cannot open ${file}: ${error.code ?? error.message}`)
  })
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new Error(`${file} is not a regular file`)
    if (callerUid !== undefined) ownedPrivately(file, stats, callerUid, 0o600)
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(MAX_TOKEN_BYTES), 0, MAX_TOKEN_BYTES, 0)
    return buffer.subarray(0, bytesRead).toString('utf8')
  } finally {
    await handle.close()
  }
}

function ownedPrivately(name: string, stats: { uid: number; mode: number }, uid: number, mode: number): void {
  if (stats.uid !== uid) throw new Error(`${name} belongs to uid ${stats.uid}, not to uid ${uid}`)
  if ((stats.mode & 0o777) !== mode) throw new Error(`${name} has mode ${(stats.mode & 0o777).toString(8)}, not ${mode.toString(8)}`)
}

/** Connects, says hello with the token, and gives the socket as the session's channel. */
export async function connectToCore(target: ConnectTarget): Promise<Channel> {
  const token = await readToken(target)
  const socket = net.createConnection(target.socket)
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  // After connecting, a reset ends the session like a closed stdin.
  socket.on('error', () => socket.destroy())
  const writeLine = (line: string) => void socket.write(line)
  writeLine(encodeLine({ type: 'hello', token })!)
  return { input: socket, writeLine }
}
