/**
 * For tests of real elevation: a throwaway unprivileged user, the system bus and polkitd
 * (started only when not already running, stopped again), and a polkit rule that answers
 * yes or no for that user. Everything is undone by the returned cleanups.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { findExecutable } from '../util/tools'

const POLKITD = '/usr/lib/polkit-1/polkitd'
const RULES_DIR = '/etc/polkit-1/rules.d'

export function polkitUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to add a user, start polkitd and write a polkit rule'
  for (const tool of ['pkexec', 'dbus-daemon', 'useradd', 'runuser']) if (!findExecutable(tool)) return `${tool} is not installed (apt-get install pkexec polkitd dbus)`
  if (!existsSync(POLKITD)) return `${POLKITD} is missing (apt-get install polkitd)`
  return null
}

export interface TestUser {
  name: string
  uid: number
  gid: number
  home: string
  remove(): void
}

export function createTestUser(): TestUser {
  const name = `orchard-t${randomBytes(3).toString('hex')}`
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name])
  const [uid, gid, home] = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':').filter((_, i) => [2, 3, 5].includes(i))
  return { name, uid: Number(uid), gid: Number(gid), home: home!, remove: () => void spawnSync('userdel', ['--remove', name]) }
}

const answers = () => spawnSync('dbus-send', ['--system', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListNames']).status === 0

/**
 * A polkit that answers `result` for `user`: the system bus (started if none answers) and a
 * fresh polkitd that has read the rule. Returns the cleanup.
 */
export async function polkitAnswering(user: string, result: 'YES' | 'NO'): Promise<() => void> {
  const rule = `${RULES_DIR}/10-${user}.rules`
  writeFileSync(rule, `polkit.addRule(function (action, subject) {\n  if (subject.user == "${user}") return polkit.Result.${result};\n});\n`, { mode: 0o644 })
  let busPid: number | null = null
  if (!answers()) {
    execFileSync('mkdir', ['-p', '/run/dbus'])
    rmSync('/run/dbus/pid', { force: true })
    busPid = Number(execFileSync('dbus-daemon', ['--system', '--fork', '--print-pid'], { encoding: 'utf8' }).trim())
  }
  // A fresh polkitd reads the rule at start; one already running would pick it up only later.
  spawnSync('pkill', ['-x', 'polkitd'])
  const polkitd = spawn(POLKITD, ['--no-debug'], { stdio: 'ignore', detached: true })
  for (let i = 0; i < 50 && !owned('org.freedesktop.PolicyKit1'); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  return () => {
    polkitd.kill()
    rmSync(rule, { force: true })
    if (busPid) {
      spawnSync('kill', [String(busPid)])
      rmSync('/run/dbus/pid', { force: true })
      rmSync('/run/dbus/system_bus_socket', { force: true })
    }
  }
}

function owned(name: string): boolean {
  const reply = spawnSync('dbus-send', ['--system', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`], { encoding: 'utf8' })
  return reply.status === 0 && reply.stdout.includes('boolean true')
}
