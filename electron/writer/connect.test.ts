/** The socket channel's rendezvous checks: what an elevated writer refuses to read, with real files. */
import { execFileSync } from 'node:child_process'
import { chmod, chown, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readToken, type ConnectTarget } from './connect'

const uid = process.getuid?.() ?? 0
const posix = process.platform !== 'win32'

describe.skipIf(!posix)('readToken', () => {
  let dir: string
  let server: net.Server
  let target: ConnectTarget

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-connect-')) // 0700
    target = { socket: path.join(dir, 'writer.sock'), tokenFile: path.join(dir, 'token'), callerUid: uid }
    server = net.createServer()
    await new Promise<void>((resolve) => server.listen(target.socket, resolve))
    await writeFile(target.tokenFile, 'the-token\n', { mode: 0o600 })
  })

  afterEach(async () => {
    server.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('reads the token from a 0600 file of the caller in a 0700 folder of the caller', async () => {
    expect(await readToken(target)).toBe('the-token')
  })

  it('refuses a token file that is a symbolic link (to a file only root may read)', async () => {
    await rm(target.tokenFile)
    await symlink('/etc/shadow', target.tokenFile)
    await expect(readToken(target)).rejects.toThrow(/symbolic link/)
  })

  it('refuses a token file another user could read', async () => {
    await chmod(target.tokenFile, 0o644)
    await expect(readToken(target)).rejects.toThrow(/mode 644, not 600/)
  })

  it.skipIf(uid !== 0)('refuses a token file that belongs to someone else', async () => {
    await chown(target.tokenFile, 65534, 65534)
    await expect(readToken(target)).rejects.toThrow(/belongs to uid 65534, not to uid 0/)
  })

  it('refuses a folder that is not the caller’s own 0700 folder', async () => {
    await expect(readToken({ ...target, callerUid: uid + 1 })).rejects.toThrow(/belongs to uid/)
    await chmod(dir, 0o755)
    await expect(readToken(target)).rejects.toThrow(/mode 755, not 700/)
  })

  it('refuses a FIFO in place of the token without waiting on it, and a socket outside the folder', async () => {
    await rm(target.tokenFile)
    execFileSync('mkfifo', ['-m', '600', target.tokenFile])
    await expect(readToken(target)).rejects.toThrow(/not a regular file/)
    await expect(readToken({ ...target, socket: path.join(os.tmpdir(), 'elsewhere.sock') })).rejects.toThrow(/share one folder/)
  })
})
