import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ReleaseTraits } from '../image/traits'
import { genericTraits } from '../testing/release-shapes'
import { parseRecipeYaml } from '../recipe/load'
import { firstRunScript } from './first-run'
import { sealRecipe } from '../recipe/secrets'

const recipe = sealRecipe(
  parseRecipeYaml(`name: fleet
source: { url: "https://example.org/a.img.xz", sha256: ${'a'.repeat(64)} }
arch: arm64
system: { hostname: "node-{{serial}}", timezone: Europe/Berlin, locale: de_DE.UTF-8, keyboard: de }
users:
  - name: pi
    password: "pass'word with quote"
    sudo: true
    groups: [video, gpio]
    sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb5vOa4UZmYn0yd1NFhL3G5oCt2sSzeT3Xrbf8fc3Ql me@host"]
  - { name: robot, sudo: true }
ssh: { enable: true, passwordAuth: false }
wifi: { ssid: "Café \\"net\\" $HOME", passphrase: "plain-wifi-passphrase", country: DE, hidden: true }
network:
  eth0: { address: 10.0.0.5/24, gateway: 10.0.0.1, dns: [10.0.0.1, 1.1.1.1] }
  wlan0: { address: 10.0.1.5/24 }
`),
)

const traits = (network: ReleaseTraits['network'], wpaSupplicant = true): ReleaseTraits => genericTraits(network, { wpaSupplicant })

const shells = [['dash', '/bin/dash'], ['busybox sh', '/bin/busybox']].filter(([, path]) => existsSync(path!))

describe.each(['networkmanager', 'dhcpcd', 'ifupdown', 'none'] as const)('first_run_setup.sh for %s', (network) => {
  const script = firstRunScript(recipe, traits(network), '1.0.0')

  it.each(shells)('parses in %s', (_name, shell) => {
    const args = shell === '/bin/busybox' ? ['sh', '-n', '-c', script] : ['-n', '-c', script]
    const check = spawnSync(shell!, args, { encoding: 'utf8' })
    expect(check.stderr).toBe('')
    expect(check.status).toBe(0)
  })

  it.skipIf(spawnSync('sh', ['-c', 'command -v shellcheck']).status !== 0)('passes shellcheck (when installed)', () => {
    // Warnings and errors; SC2041 is `for group in 'video' 'gpio'` (quoted on purpose), SC3028 the
    // HOSTNAME that device.env gives (busybox sh also sets its own: the script reads it anyway).
    const lint = spawnSync('shellcheck', ['-s', 'sh', '-S', 'warning', '-e', 'SC2041,SC3028', '-'], { input: script, encoding: 'utf8' })
    expect(lint.stdout).toBe('')
    expect(lint.status).toBe(0)
  })

  it('carries hashes, not the typed secrets, each on a line the runner scrubs', () => {
    expect(script).not.toContain("pass'word")
    expect(script).not.toContain('plain-wifi-passphrase')
    for (const line of script.split('\n').filter((l) => /\$6\$|RECIPE_WIFI_PSK=/.test(l))) {
      expect(line).toMatch(/# orchard:secret$/)
    }
  })

  it('applies every section of the recipe', () => {
    for (const piece of ['NEW_HOSTNAME', 'useradd', 'authorized_keys', 'PasswordAuthentication no', 'Europe/Berlin', 'de_DE.UTF-8', 'XKBLAYOUT']) {
      expect(script).toContain(piece)
    }
    expect(script).toContain("configure_static 'wlan0' '10.0.1.5/24'")
  })
})

describe('first_run_setup.sh quoting', () => {
  it('keeps an SSID with quotes and $ literal when the shell reads it', () => {
    const script = firstRunScript(recipe, traits('networkmanager'), '1.0.0')
    const assignment = script.split('\n').find((line) => line.startsWith('RECIPE_WIFI_SSID='))!
    const value = execFileSync('/bin/sh', ['-c', `${assignment}; printf %s "$RECIPE_WIFI_SSID"`], { encoding: 'utf8' })
    expect(value).toBe('Café "net" $HOME')
  })

  it('keeps {{serial}} in the hostname for boot time', () => {
    const script = firstRunScript(recipe, traits('ifupdown'), '1.0.0')
    const assignment = script.split('\n').find((line) => line.startsWith('RECIPE_HOSTNAME='))!
    expect(execFileSync('/bin/sh', ['-c', `${assignment}; printf %s "\${HOSTNAME:-$RECIPE_HOSTNAME}"`], { encoding: 'utf8', env: {} })).toBe('node-{{serial}}')
  })
})
