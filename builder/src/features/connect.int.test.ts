/**
 * The Connect token handed over for real, as root, in a throwaway chroot of static busybox
 * shaped like a Raspberry Pi OS Lite root (a uid-1000 user, rpi-connect-lite's two user
 * units, no wayvnc): first_run_setup.sh on the firstrun shape and cloud-init's runcmd entry
 * on the cloud-init shape must leave the same files, the token only in auth.key (0600, the
 * user's), and never print it.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import { afterAll, describe, expect, it } from 'vitest'
import { nativeBootFiles } from '../customize/boot-files'
import { firstRunScript } from '../customize/first-run'
import { parseRecipe } from '../recipe/load'
import { sealRecipe } from '../recipe/secrets'
import { RELEASE_SHAPES } from '../testing/release-shapes'

const BUSYBOX = '/bin/busybox'
const CHROOT = ['/usr/sbin/chroot', '/usr/bin/chroot'].find((file) => existsSync(file))
const skip = process.getuid?.() !== 0 ? 'needs root (chroot)' : !existsSync(BUSYBOX) ? 'needs a static busybox at /bin/busybox' : !CHROOT ? 'needs chroot' : null
if (skip) console.log(`[connect.int] skipped: ${skip}`)

const TOKEN = 'rpuak_connectChrootTestToken0123456789'
const sealed = sealRecipe(parseRecipe({ name: 'connect', source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) }, arch: 'arm64', connect: { token: TOKEN } }))

const temps: string[] = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

/** A busybox root with user fleet (1000:1000, /home/fleet) and rpi-connect-lite's user units; runs `script` there. */
function runInChroot(script: string) {
  const root = mkdtempSync(path.join(tmpdir(), 'orchard-connect-'))
  temps.push(root)
  for (const dir of ['bin', 'dev', 'etc', 'tmp', 'home/fleet', 'usr/lib/systemd/user']) mkdirSync(path.join(root, dir), { recursive: true })
  spawnSync('mknod', ['-m', '666', path.join(root, 'dev/null'), 'c', '1', '3'])
  writeFileSync(path.join(root, 'bin/busybox'), readFileSync(BUSYBOX))
  chmodSync(path.join(root, 'bin/busybox'), 0o755)
  spawnSync(CHROOT!, [root, '/bin/busybox', '--install', '-s', '/bin'])
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nfleet:x:1000:1000::/home/fleet:/bin/sh\n')
  writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nfleet:x:1000:\n')
  spawnSync('chown', ['1000:1000', path.join(root, 'home/fleet')])
  for (const unit of ['rpi-connect.service', 'rpi-connect-signin.path']) writeFileSync(path.join(root, 'usr/lib/systemd/user', unit), '[Unit]\n')
  writeFileSync(path.join(root, 'script.sh'), script)
  const run = spawnSync(CHROOT!, [root, '/bin/sh', '/script.sh'], { env: { PATH: '/bin' }, encoding: 'utf8' })
  return { ...run, root }
}

function expectHandedOver(run: ReturnType<typeof runInChroot>) {
  expect(run.status, run.stderr).toBe(0)
  expect(run.stdout + run.stderr).not.toContain(TOKEN)
  const home = path.join(run.root, 'home/fleet')
  const key = path.join(home, '.config/com.raspberrypi.connect/auth.key')
  expect(readFileSync(key, 'utf8')).toBe(`${TOKEN}\n`)
  expect(statSync(key)).toMatchObject({ uid: 1000, gid: 1000 })
  expect(statSync(key).mode & 0o777).toBe(0o600)
  expect(statSync(path.dirname(key)).mode & 0o777).toBe(0o700)
  expect(statSync(path.join(home, '.config')).uid).toBe(1000)
  const wants = path.join(home, '.config/systemd/user')
  expect(readlinkSync(path.join(wants, 'default.target.wants/rpi-connect.service'))).toBe('/usr/lib/systemd/user/rpi-connect.service')
  expect(readlinkSync(path.join(wants, 'paths.target.wants/rpi-connect-signin.path'))).toBe('/usr/lib/systemd/user/rpi-connect-signin.path')
  expect(lstatSync(path.join(wants, 'paths.target.wants/rpi-connect-signin.path')).uid).toBe(1000)
  // Lite has no wayvnc: no dangling link to it.
  expect(existsSync(path.join(wants, 'default.target.wants/rpi-connect-wayvnc.service'))).toBe(false)
  expect(existsSync(path.join(run.root, 'var/lib/systemd/linger/fleet'))).toBe(true)
}

describe.skipIf(skip)('the Connect token handed to rpi-connect, run in a chroot', () => {
  it('by first_run_setup.sh (firstrun shape), signing in as the uid-1000 user', () => {
    const run = runInChroot(firstRunScript(sealed, RELEASE_SHAPES.find((traits) => traits.shape === 'firstrun')!, '0'))
    expectHandedOver(run)
    expect(run.stdout).toContain('connect: sign-in token handed to rpi-connect')
  })

  it("by cloud-init's runcmd entry (trixie-cloud-init shape), as cloud-init runs it: sh -c", () => {
    const userData = YAML.parse(nativeBootFiles(sealed, RELEASE_SHAPES.find((traits) => traits.shape === 'trixie-cloud-init')!, 'c'.repeat(64)).find((file) => file.path === '/user-data')!.content) as { runcmd: string[][] }
    const [, , body] = userData.runcmd[0]!
    const run = runInChroot(`exec sh -c ${"'" + body!.replaceAll("'", `'\\''`) + "'"}\n`)
    expectHandedOver(run)
  })

  it('fails, saying why, when there is no user to sign in as', () => {
    const noUser = sealRecipe(parseRecipe({ name: 'connect', source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) }, arch: 'arm64', connect: { token: TOKEN, user: 'nobody-here' } }))
    const run = runInChroot(firstRunScript(noUser, RELEASE_SHAPES.find((traits) => traits.shape === 'firstrun')!, '0'))
    expect(run.status).toBe(1)
    expect(run.stderr).toContain('FAILED: connect: no user to sign in as')
    expect(run.stdout + run.stderr).not.toContain(TOKEN)
  })
})
