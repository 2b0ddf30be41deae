/**
 * For tests that reach the only network this machine has: Debian's apt repositories (apt steps
 * in full builds, the builder image) and the npm registry (the builder image's node_modules).
 * A name that does not resolve is a part the machine lacks right now: those tests skip saying so.
 */
import { spawnSync } from 'node:child_process'
import { lookup } from 'node:dns/promises'

/** Whether `host` resolves within `ms` (a resolver that is down can hang for a long time). */
async function resolves(host: string, ms = 5000): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())
  return Promise.race([lookup(host).then(() => true, () => false), timeout])
}

export async function aptUnavailableReason(): Promise<string | null> {
  return (await resolves('deb.debian.org')) ? null : "Debian's apt repositories are out of reach (deb.debian.org does not resolve): apt cannot run"
}

export async function npmRegistryUnavailableReason(): Promise<string | null> {
  return (await resolves('registry.npmjs.org')) ? null : 'the npm registry is out of reach (registry.npmjs.org does not resolve): the builder image cannot be built'
}

let aptCheckedNow: string | null | undefined

/**
 * aptUnavailableReason for skip conditions decided as a test file loads (synchronous): getent
 * with a time limit, once per process.
 */
export function aptUnavailableReasonNow(): string | null {
  if (aptCheckedNow === undefined) {
    const found = spawnSync('getent', ['hosts', 'deb.debian.org'], { timeout: 5000, stdio: 'ignore' }).status === 0
    aptCheckedNow = found ? null : "Debian's apt repositories are out of reach (deb.debian.org does not resolve): debootstrap cannot fetch packages"
  }
  return aptCheckedNow
}
