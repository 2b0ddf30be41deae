/**
 * One owner per setting: for every release shape, the full recipe's first-boot files are
 * generated and each setting must be applied by exactly one mechanism (docs/releases.md).
 * The account is applied twice on purpose on the shapes without cloud-init, said below.
 */
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { parseRecipe } from '../recipe/load'
import { sealRecipe } from '../recipe/secrets'
import { RELEASE_SHAPES } from '../testing/release-shapes'
import { SSH_RUNCMD } from '../features/ssh'
import { regdomOnCmdline } from '../features/wifi'
import { nativeBootFiles } from './boot-files'
import { firstRunScript } from './first-run'

const recipe = sealRecipe(
  parseRecipe({
    name: 'owners',
    source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) },
    arch: 'arm64',
    system: { hostname: 'owner-host', timezone: 'Europe/Berlin', locale: 'de_DE.UTF-8', keyboard: 'de' },
    users: [{ name: 'fleet', password: 'owner-password', sudo: true, sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f me@host'] }],
    ssh: { enable: true, passwordAuth: true },
    wifi: { ssid: 'OwnerNet', passphrase: 'owner-passphrase', country: 'DE', hidden: true },
    network: { eth0: { address: '10.9.8.7/24', gateway: '10.9.8.1' } },
    interfaces: { i2c: true, spi: true },
    connect: { token: 'rpuak_ownerConnectToken0123' },
  }),
)

interface Generated {
  /** The country the build puts on cmdline.txt (wifi's writeBoot), or null. */
  cmdlineCountry: string | null
  script: string
  userData: Record<string, unknown>
  networkConfig: { network?: { wifis?: unknown; ethernets?: unknown } }
  files: Map<string, string>
}

/** Where each setting could land, and how to see that it does. */
const MECHANISMS: Record<string, Record<string, (g: Generated) => boolean>> = {
  'user account': { 'first_run_setup.sh': (g) => g.script.includes('useradd'), 'cloud-init': (g) => Array.isArray(g.userData.users), 'userconf.txt': (g) => g.files.has('/userconf.txt') },
  'user password': {
    'first_run_setup.sh': (g) => g.script.includes('usermod --password'),
    'cloud-init': (g) => JSON.stringify(g.userData.users ?? '').includes('hashed_passwd'),
    'userconf.txt': (g) => /^fleet:\$/.test(g.files.get('/userconf.txt') ?? ''),
  },
  'SSH keys': { 'first_run_setup.sh': (g) => g.script.includes('authorized_keys'), 'cloud-init': (g) => JSON.stringify(g.userData.users ?? '').includes('ssh_authorized_keys') },
  sudo: { 'first_run_setup.sh': (g) => g.script.includes('/etc/sudoers.d/'), 'cloud-init': (g) => JSON.stringify(g.userData.users ?? '').includes('"sudo"') },
  hostname: { 'first_run_setup.sh': (g) => g.script.includes("RECIPE_HOSTNAME='owner-host'"), 'cloud-init': (g) => g.userData.hostname === 'owner-host' },
  timezone: { 'first_run_setup.sh': (g) => g.script.includes('Europe/Berlin'), 'cloud-init': (g) => g.userData.timezone === 'Europe/Berlin' },
  locale: { 'first_run_setup.sh': (g) => g.script.includes('/etc/default/locale'), 'cloud-init': (g) => g.userData.locale === 'de_DE.UTF-8' },
  keyboard: { 'first_run_setup.sh': (g) => g.script.includes('XKBLAYOUT'), 'cloud-init': (g) => 'keyboard' in g.userData },
  'SSH server on': { 'first_run_setup.sh': (g) => g.script.includes('systemctl enable ssh'), 'cloud-init': (g) => JSON.stringify(g.userData.runcmd ?? '').includes(JSON.stringify(SSH_RUNCMD(true))), 'ssh flag file': (g) => g.files.has('/ssh') },
  'SSH password login': { 'first_run_setup.sh': (g) => g.script.includes('PasswordAuthentication'), 'cloud-init': (g) => g.userData.ssh_pwauth === true },
  'SSH host keys': { 'first_run_setup.sh': (g) => g.script.includes('ssh-keygen -A'), 'cloud-init': (g) => 'ssh_genkeytypes' in g.userData || 'ssh_deletekeys' in g.userData },
  wifi: { 'first_run_setup.sh': (g) => g.script.includes("RECIPE_WIFI_SSID='OwnerNet'"), 'cloud-init': (g) => Boolean(g.networkConfig.network?.wifis) },
  // The kernel's regulatory domain: netplan's `regulatory-domain` would be a second owner (its own iw unit at every boot).
  'wifi country': {
    'cmdline.txt': (g) => g.cmdlineCountry === 'DE',
    'first_run_setup.sh': (g) => g.script.includes("REGDOM_ON_CMDLINE=''") && g.script.includes('WIFI_COUNTRY="${WIFI_COUNTRY:-DE}"'),
    'cloud-init': (g) => JSON.stringify(g.networkConfig).includes('regulatory-domain'),
  },
  'Connect token': { 'first_run_setup.sh': (g) => g.script.includes('CONNECT_TOKEN='), 'cloud-init': (g) => JSON.stringify(g.userData.runcmd ?? '').includes('CONNECT_TOKEN=') },
  'static eth0': { 'first_run_setup.sh': (g) => g.script.includes('10.9.8.7/24'), 'cloud-init': (g) => Boolean(g.networkConfig.network?.ethernets) },
  // The build writes config.txt itself: nothing at first boot applies them.
  interfaces: { 'first_run_setup.sh': (g) => /dtparam|raspi-config nonint do_(i2c|spi)/.test(g.script), 'cloud-init': (g) => 'rpi' in g.userData },
}

/**
 * Applied twice on purpose where there is no cloud-init: userconf.txt names the user so
 * Raspberry Pi OS's wizard does not stop the boot (its password stays locked there),
 * first_run_setup.sh still owns the account.
 */
const KNOWN_TWICE: Record<string, string[]> = {
  'user account': ['first_run_setup.sh', 'userconf.txt'],
}
const INTERFACES_OWNER: string[] = []

function generate(traits: (typeof RELEASE_SHAPES)[number]): Generated {
  const files = new Map(nativeBootFiles(recipe, traits, 'c'.repeat(64)).map((file) => [file.path, file.content]))
  return {
    cmdlineCountry: regdomOnCmdline(recipe.wifi, traits),
    script: firstRunScript(recipe, traits, '0'),
    userData: (YAML.parse(files.get('/user-data') ?? '') as Record<string, unknown> | null) ?? {},
    networkConfig: (YAML.parse(files.get('/network-config') ?? '') as Generated['networkConfig'] | null) ?? {},
    files,
  }
}

describe.each(RELEASE_SHAPES.map((traits) => [traits.release, traits] as const))('%s', (_name, traits) => {
  const generated = generate(traits)
  const owners = (setting: string) => Object.entries(MECHANISMS[setting]!).filter(([, applies]) => applies(generated)).map(([mechanism]) => mechanism)

  it.each(Object.keys(MECHANISMS))('%s: applied by exactly one mechanism', (setting) => {
    if (setting === 'interfaces') return expect(owners(setting)).toEqual(INTERFACES_OWNER)
    // The build writes it on cmdline.txt wherever the image boots from one, as Imager does for every format.
    if (setting === 'wifi country') return expect(owners(setting)).toEqual([traits.cmdline ? 'cmdline.txt' : 'first_run_setup.sh'])
    if (traits.firstBoot === 'cloud-init') {
      // cloud-init's where it can: host keys, the static address and the locale (features/locale.ts says why) stay with first_run_setup.sh.
      expect(owners(setting)).toEqual([['SSH host keys', 'static eth0', 'locale'].includes(setting) ? 'first_run_setup.sh' : 'cloud-init'])
      return
    }
    // Without openssh-server there is no SSH server to set up: first_run_setup.sh only says so.
    if (setting.startsWith('SSH ') && setting !== 'SSH keys' && !traits.openssh) return expect(owners(setting)).toEqual([])
    expect(owners(setting)).toEqual(KNOWN_TWICE[setting]?.filter((mechanism) => mechanism !== 'userconf.txt' || traits.userconfWizard) ?? ['first_run_setup.sh'])
  })

  if (traits.firstBoot === 'cloud-init') {
    it("gives cloud-init the recipe's values and first_run_setup.sh none of them but the locale (device.env overrides only)", () => {
      expect(generated.files.has('/meta-data')).toBe(true)
      for (const value of ['owner-host', 'OwnerNet', 'Europe/Berlin', 'fleet']) expect(generated.script).not.toContain(value)
      expect(generated.script).toContain("echo 'LANG=de_DE.UTF-8' > /etc/default/locale")
      expect(generated.script).toContain('WIFI_SSID="${WIFI_SSID:-$RECIPE_WIFI_SSID}"')
      expect(generated.script).toContain('NEW_HOSTNAME="${HOSTNAME:-$RECIPE_HOSTNAME}"')
    })
  } else {
    it('writes no cloud-init seed', () => {
      expect([...generated.files.keys()].filter((path) => ['/user-data', '/network-config', '/meta-data'].includes(path))).toEqual([])
    })
  }
})
