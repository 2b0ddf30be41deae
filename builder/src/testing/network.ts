/**
 * For tests that reach the only network this machine has: Debian's apt repositories (apt steps
 * in full builds, the builder image, debootstrap for fixtures) and the npm registry (the builder
 * image's node_modules). A name that does not resolve is a part the machine lacks right now:
 * those tests skip saying so.
 */
import { spawnSync } from 'node:child_process'

const resolved = new Map<string, boolean>()

/**
 * Whether `host` resolves: getent with a time limit (a resolver that is down can hang for a long
 * time), asked once per process. Synchronous, so skip conditions can be decided as a test file loads.
 */
function resolves(host: string): boolean {
  let found = resolved.get(host)
  if (found === undefined) {
    found = spawnSync('getent', ['hosts', host], { timeout: 5000, stdio: 'ignore' }).status === 0
    resolved.set(host, found)
  }
  return found
}

export function aptUnavailableReason(): string | null {
  return resolves('deb.debian.org') ? null : "Debian's apt repositories are out of reach (deb.debian.org does not resolve): apt and debootstrap cannot fetch packages"
}

export function npmRegistryUnavailableReason(): string | null {
  return resolves('registry.npmjs.org') ? null : 'the npm registry is out of reach (registry.npmjs.org does not resolve): the builder image cannot be built'
}
