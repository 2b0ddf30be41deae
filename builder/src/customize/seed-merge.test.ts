/** A user's own user-data / network-config: checked, merged with the recipe's, conflicts named with both sides. */
import { spawnSync } from 'node:child_process'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { parseRecipe } from '../recipe/load'
import { sealRecipe } from '../recipe/secrets'
import { BuildError } from '../util/errors'
import { checkUserDataSchema } from './cloud-init-schema'
import { cloudConfig } from './boot-files'
import { mergeNetworkConfig, mergeUserData, networkConfigText, parseNetworkConfig, parseUserData, userDataText } from './seed-merge'
import { SSH_RUNCMD } from '../features/ssh'

const BASE = { name: 'seed', source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) }, arch: 'arm64' }
const recipe = sealRecipe(
  parseRecipe({
    ...BASE,
    system: { hostname: 'fleet-host', timezone: 'Europe/London', keyboard: 'gb' },
    users: [{ name: 'fleet', password: 'fleet-password', sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f me@host'] }],
    ssh: { enable: true, passwordAuth: false },
    wifi: { ssid: 'FleetNet', passphrase: 'fleet-passphrase', country: 'GB' },
    connect: { token: 'rpuak_seedMergeTestToken0123' },
  }),
)
const USER = { field: 'cloudInit.userData', file: 'seed/user-data' }
const NET = { field: 'cloudInit.networkConfig', file: 'seed/network-config' }

/** The error `fn` throws (it must throw a BuildError). */
function failure(fn: () => unknown): BuildError {
  try {
    fn()
  } catch (error) {
    if (error instanceof BuildError) return error
    throw error
  }
  throw new Error('expected a BuildError')
}

describe('user-data', () => {
  it("keeps the file's own keys and the recipe's, lists joined with the recipe's first", () => {
    const theirs = parseUserData('#cloud-config\npackages: [htop]\nruncmd:\n  - [touch, /x]\nwrite_files:\n  - { path: /etc/motd, content: hi }\n', USER)
    const merged = mergeUserData(recipe, theirs, USER)
    expect(merged).toMatchObject({ hostname: 'fleet-host', timezone: 'Europe/London', packages: ['htop'], ssh_pwauth: false, write_files: [{ path: '/etc/motd' }] })
    const runcmd = merged.runcmd as unknown[][]
    expect(runcmd[0]).toEqual(SSH_RUNCMD(true))
    expect(String(runcmd[1]![2])).toContain('CONNECT_TOKEN=')
    expect(runcmd[2]).toEqual(['touch', '/x'])
  })

  it('takes the same value on both sides without complaint', () => {
    expect(mergeUserData(recipe, parseUserData('#cloud-config\nhostname: fleet-host\nkeyboard: { layout: gb }\n', USER), USER)).toMatchObject({ hostname: 'fleet-host', keyboard: { model: 'pc105', layout: 'gb' } })
  })

  it('names both sides of every conflict, in one error', () => {
    const error = failure(() => mergeUserData(recipe, parseUserData('#cloud-config\nhostname: other\nssh_pwauth: yes\nkeyboard: { layout: de }\nusers: [default, { name: fleet }]\n', USER), USER))
    expect(error.code).toBe('INVALID_RECIPE')
    expect(error.message.split('\n')).toEqual([
      'cloudInit.userData (seed/user-data):',
      `  hostname: the file sets "other", the recipe's Hostname (hostname) sets "fleet-host": keep one`,
      `  users: "fleet" is in the file and in the recipe's Users (users): give each user in one place`,
      `  ssh_pwauth: the file sets true, the recipe's SSH (ssh) sets false: keep one`,
      `  keyboard.layout: the file sets "de", the recipe's Time zone, locale and keyboard (locale) sets "gb": keep one`,
    ])
  })

  it.each([
    ['a script', '#!/bin/sh\necho hi\n', /it is a script/],
    ['a MIME archive', 'Content-Type: multipart/mixed; boundary="x"\n', /it is a MIME multipart archive/],
    ['a Jinja template', '## template: jinja\n#cloud-config\n', /it is a Jinja template/],
    ['no header', 'hostname: x\n', /must start with the line "#cloud-config": it is something else \(its first line is "hostname: x"\)/],
  ])('refuses %s: only #cloud-config can be merged', (_what, text, message) => {
    expect(() => parseUserData(text, USER)).toThrow(message)
  })

  it('refuses broken YAML with its line, and a list where a mapping belongs', () => {
    expect(() => parseUserData('#cloud-config\nhostname: [a\n', USER)).toThrow(/cloudInit\.userData \(seed\/user-data\):\n {2}is not valid YAML: line \d+: /)
    expect(() => parseUserData('#cloud-config\n- a\n', USER)).toThrow(/must be a YAML mapping of cloud-config keys/)
    expect(() => parseUserData('#cloud-config\na: 1\na: 2\n', USER)).toThrow(/is not valid YAML/)
  })

  it("reads and writes YAML 1.1 as cloud-init does: a quoted 'yes' stays a string, yes stays a boolean", () => {
    const merged = mergeUserData(recipe, parseUserData('#cloud-config\nfqdn: "yes"\nssh_deletekeys: yes\n', USER), USER)
    expect(merged).toMatchObject({ fqdn: 'yes', ssh_deletekeys: true })
    const text = userDataText(merged, USER.file)
    expect(text).toContain('fqdn: "yes"')
    expect(YAML.parse(text, { version: '1.1' })).toMatchObject({ fqdn: 'yes', ssh_deletekeys: true })
  })
})

describe('network-config', () => {
  it("adds the file's interfaces beside the recipe's wifi, with or without the network: key", () => {
    for (const text of ['network:\n  version: 2\n  ethernets:\n    eth0: { dhcp4: true }\n', 'version: 2\nethernets:\n  eth0: { dhcp4: true }\n']) {
      const merged = mergeNetworkConfig(recipe, parseNetworkConfig(text, NET), NET)
      expect(merged).toMatchObject({ version: 2, renderer: 'NetworkManager', ethernets: { eth0: { dhcp4: true } }, wifis: { wlan0: { optional: true } } })
      expect(YAML.parse(networkConfigText(merged, NET.file))).toEqual({ network: merged })
    }
  })

  it('names both sides of a conflict', () => {
    const error = failure(() => mergeNetworkConfig(recipe, parseNetworkConfig('network:\n  version: 2\n  renderer: networkd\n  wifis:\n    wlan0: { dhcp4: false }\n', NET), NET))
    expect(error.message.split('\n')).toEqual([
      'cloudInit.networkConfig (seed/network-config):',
      `  network.renderer: the file sets "networkd", the recipe's network-config as Orchard writes it for Raspberry Pi OS (version 2, renderer NetworkManager) sets "NetworkManager": keep one`,
      `  network.wifis.wlan0.dhcp4: the file sets false, the recipe's Wifi (wifi) sets true: keep one`,
    ])
  })

  it('refuses version 1, and keys netplan does not have', () => {
    expect(() => parseNetworkConfig('network:\n  version: 1\n  config: []\n', NET)).toThrow(/network\.version must be 2 .* it is 1\n {2}network\.config is not a netplan v2 key/)
    expect(() => parseNetworkConfig('network:\n  version: 2\nextra: 1\n', NET)).toThrow(/has keys beside network: \(extra\)/)
  })
})

const cloudInit = spawnSync('cloud-init', ['--version'], { encoding: 'utf8' })

describe("the merged user-data under cloud-init's own schema (the host's cloud-init)", () => {
  // cloud-init (Python) takes one to two seconds per start here.
  it.skipIf(cloudInit.status !== 0)('passes when valid, and says which cloud-init checked it', { timeout: 30_000 }, async () => {
    const text = userDataText(mergeUserData(recipe, parseUserData('#cloud-config\npackages: [htop]\n', USER), USER), USER.file)
    expect(await checkUserDataSchema(text, 'cloudInit.userData (seed/user-data)', [])).toMatch(/^cloudInit\.userData \(seed\/user-data\): valid under cloud-init [\d.]+'s schema$/)
  })

  it.skipIf(cloudInit.status !== 0)("fails with cloud-init's words, the recipe's secrets blanked out", { timeout: 30_000 }, async () => {
    const secret = recipe.users[0]!.passwordHash!
    const text = `${cloudConfig(recipe)}ssh_authorized_keys: ${JSON.stringify(secret)}\n`
    const error = await checkUserDataSchema(text, 'cloudInit.userData (seed/user-data)', [secret]).then(() => null, (thrown: unknown) => thrown as BuildError)
    expect(error?.code).toBe('INVALID_RECIPE')
    expect(error?.message).toMatch(/^cloudInit\.userData \(seed\/user-data\): merged with the recipe's settings, it is not valid under cloud-init [\d.]+'s schema:\n/)
    expect(error?.message).toContain('ssh_authorized_keys')
    expect(error?.message).not.toContain(secret)
  })
})
