import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeVolatileFiles } from './volatile-files'

describe('normalizeVolatileFiles', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'orchard-volatile-'))
    for (const dir of ['var/log/apt', 'var/cache/ldconfig', 'var/cache/debconf', 'var/lib/dpkg', 'var/cache/apt', 'var/lib/dbus', 'etc']) await mkdir(path.join(root, dir), { recursive: true })
    const files: Record<string, string> = {
      'var/log/dpkg.log': '2026-12-04 09:25:01 install hello\n',
      'var/log/apt/history.log': 'Start-Date: 2026-12-04\n',
      'var/log/empty.log': '',
      'var/cache/ldconfig/aux-cache': 'inodes',
      'var/cache/debconf/config.dat-old': 'old',
      'var/cache/debconf/config.dat': 'current',
      'var/lib/dpkg/status-old': 'old',
      'var/lib/dpkg/status': 'Package: hello\n',
      'var/cache/apt/pkgcache.bin': 'cache',
      'etc/machine-id': '0123456789abcdef0123456789abcdef\n',
    }
    for (const [file, content] of Object.entries(files)) await writeFile(path.join(root, file), content, { mode: 0o640 })
    await symlink('/etc/machine-id', path.join(root, 'var/lib/dbus/machine-id'))
  })
  afterAll(() => rm(root, { recursive: true, force: true }))

  it('empties logs and machine-id, removes caches and *-old copies, and leaves the rest (and links) alone', async () => {
    const changed = await normalizeVolatileFiles(root)
    expect(changed).toEqual([
      '/var/log/apt/history.log',
      '/var/log/dpkg.log',
      '/var/cache/ldconfig/aux-cache',
      '/var/cache/debconf/config.dat-old',
      '/var/lib/dpkg/status-old',
      '/var/cache/apt/pkgcache.bin',
      '/etc/machine-id',
    ])
    expect((await stat(path.join(root, 'var/log/dpkg.log'))).size).toBe(0)
    expect((await stat(path.join(root, 'var/log/dpkg.log'))).mode & 0o777).toBe(0o640)
    expect(await readFile(path.join(root, 'etc/machine-id'), 'utf8')).toBe('')
    for (const gone of ['var/cache/ldconfig/aux-cache', 'var/lib/dpkg/status-old', 'var/cache/apt/pkgcache.bin']) expect(existsSync(path.join(root, gone))).toBe(false)
    expect(await readFile(path.join(root, 'var/lib/dpkg/status'), 'utf8')).toBe('Package: hello\n')
    expect(await readFile(path.join(root, 'var/cache/debconf/config.dat'), 'utf8')).toBe('current')
    expect(await normalizeVolatileFiles(root)).toEqual([]) // nothing left to do
  })
})
