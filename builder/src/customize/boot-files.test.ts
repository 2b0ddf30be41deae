/** cloud-init's seed as Orchard writes it: user-data checked by cloud-init's own schema, network-config against netplan v2's shape. */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import { afterAll, describe, expect, it } from 'vitest'
import { FEATURES } from '../features/registry'
import { parseRecipe } from '../recipe/load'
import { sealRecipe } from '../recipe/secrets'
import { cloudConfig, instanceId, metaData, networkConfig } from './boot-files'

const BASE = { name: 'seed', source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) }, arch: 'arm64' }
const every = sealRecipe(parseRecipe({ ...BASE, ...Object.assign({}, ...FEATURES.map((feature) => feature.example)), system: { hostname: 'seed-host', timezone: 'Europe/London', locale: 'en_GB.UTF-8', keyboard: 'gb' } }))

const cloudInit = spawnSync('cloud-init', ['--version'], { encoding: 'utf8' })
const netplan = spawnSync('netplan', ['info'], { encoding: 'utf8' })
const dir = mkdtempSync(path.join(os.tmpdir(), 'orchard-seed-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("user-data under cloud-init's own schema check", () => {
  it.skipIf(cloudInit.status !== 0)(`is valid for every feature's example (${(cloudInit.stdout || cloudInit.stderr || 'cloud-init missing: apt-get install cloud-init').trim()})`, () => {
    const file = path.join(dir, 'user-data')
    writeFileSync(file, cloudConfig(every))
    const result = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' })
    expect(`${result.stdout}${result.stderr}`).toContain('Valid cloud-config')
    expect(result.status).toBe(0)
  })

  it.skipIf(cloudInit.status !== 0)('catches a key of the wrong type (so the check above can fail)', () => {
    const file = path.join(dir, 'bad-user-data')
    writeFileSync(file, `${cloudConfig(every)}ssh_pwauth: [not, a, boolean]\n`.replace(/^ssh_pwauth: (true|false)\n/m, ''))
    expect(() => execFileSync('cloud-init', ['schema', '--config-file', file], { stdio: 'pipe' })).toThrow()
  })
})

describe('network-config', () => {
  it('is netplan v2 with wlan0 for NetworkManager: the hashed PSK only, optional, hidden when asked; no regulatory domain (cmdline.txt owns it)', () => {
    const hidden = sealRecipe(parseRecipe({ ...BASE, wifi: { ssid: 'Hidden Net', passphrase: 'hidden-passphrase', country: 'NL', hidden: true } }))
    const text = networkConfig(hidden)!
    expect(text).not.toContain('hidden-passphrase')
    const parsed = YAML.parse(text) as { network: Record<string, unknown> }
    expect(Object.keys(parsed)).toEqual(['network'])
    expect(parsed.network).toEqual({
      version: 2,
      renderer: 'NetworkManager',
      wifis: { wlan0: { dhcp4: true, optional: true, 'access-points': { 'Hidden Net': { password: hidden.wifi!.psk, hidden: true } } } },
    })
    expect(hidden.wifi!.psk).toMatch(/^[0-9a-f]{64}$/)
  })

  it('leaves hidden out for a visible network, and is absent without wifi', () => {
    const visible = sealRecipe(parseRecipe({ ...BASE, wifi: { ssid: 'Open', passphrase: 'visible-passphrase', country: 'GB' } }))
    expect(networkConfig(visible)).not.toContain('hidden')
    expect(networkConfig(sealRecipe(parseRecipe(BASE)))).toBeNull()
  })
})

describe("network-config through netplan's own generator (what cloud-init hands it on the device)", () => {
  /** Runs `netplan generate` over the file in a scratch root; the NetworkManager keyfiles and units it renders. */
  function generate(name: string, yaml: string) {
    const root = path.join(dir, name)
    mkdirSync(path.join(root, 'etc/netplan'), { recursive: true })
    writeFileSync(path.join(root, 'etc/netplan/50-cloud-init.yaml'), yaml)
    chmodSync(path.join(root, 'etc/netplan/50-cloud-init.yaml'), 0o600)
    const result = spawnSync('netplan', ['generate', '--root-dir', root], { encoding: 'utf8' })
    const connections = path.join(root, 'run/NetworkManager/system-connections')
    const keyfiles = result.status === 0 ? readdirSync(connections).map((file) => readFileSync(path.join(connections, file), 'utf8')) : []
    return { result, keyfiles, root }
  }

  it.skipIf(netplan.status !== 0)('renders a hidden network as a NetworkManager keyfile with the PSK, and no regulatory-domain unit of its own (netplan installed: apt-get install netplan.io)', () => {
    const sealed = sealRecipe(parseRecipe({ ...BASE, wifi: { ssid: 'Hidden Net', passphrase: 'hidden-passphrase', country: 'NL', hidden: true } }))
    const { result, keyfiles, root } = generate('hidden', networkConfig(sealed)!)
    expect(result.status, result.stderr).toBe(0)
    expect(keyfiles).toHaveLength(1)
    expect(keyfiles[0]).toContain('\ninterface-name=wlan0\n')
    expect(keyfiles[0]).toContain('\nssid=Hidden Net\n')
    expect(keyfiles[0]).toContain('\nhidden=true\n')
    expect(keyfiles[0]).toContain(`\nkey-mgmt=wpa-psk\npsk=${sealed.wifi!.psk}\n`)
    // netplan's regdom unit would run `iw reg set` at every boot and fight a card's WIFI_COUNTRY on cmdline.txt.
    expect(existsSync(path.join(root, 'run/systemd/system/netplan-regdom.service'))).toBe(false)
  })

  it.skipIf(netplan.status !== 0)('fails on a key netplan does not know (so the check above can fail)', () => {
    const sealed = sealRecipe(parseRecipe({ ...BASE, wifi: { ssid: 'Net', passphrase: 'some-passphrase', country: 'NL' } }))
    expect(generate('bad', networkConfig(sealed)!.replace('optional: true', 'optionall: true')).result.status).not.toBe(0)
  })
})

describe('meta-data', () => {
  it('names the instance after the recipe hash: the same recipe, the same id; another recipe, another', () => {
    const text = metaData('0123456789abcdef'.repeat(4))
    expect(YAML.parse(text)).toEqual({ dsmode: 'local', 'instance-id': 'orchard-0123456789abcdef', instance_id: 'orchard-0123456789abcdef' })
    expect(instanceId('f'.repeat(64))).not.toBe(instanceId('0123456789abcdef'.repeat(4)))
    expect(() => instanceId('')).toThrow(/recipe SHA256/)
  })
})
