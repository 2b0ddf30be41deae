/** Raspberry Pi Connect: what lands where on each release shape, and the token's rules. */
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { nativeBootFiles } from '../customize/boot-files'
import { buildInfoSource, buildInfoText, describeCustomizations } from '../customize/buildinfo'
import { firstRunScript } from '../customize/first-run'
import { parseRecipe } from '../recipe/load'
import { plaintextSecretFields, recipeFingerprint, sealRecipe } from '../recipe/secrets'
import { RELEASE_SHAPES } from '../testing/release-shapes'

const TOKEN = 'rpuak_connectUnitTestToken0123456789'
const BASE = { name: 'connect', source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) }, arch: 'arm64' }
const recipe = (connect: unknown, extra: Record<string, unknown> = {}) => parseRecipe({ ...BASE, connect, ...extra })
const sealed = sealRecipe(recipe({ token: TOKEN }, { users: [{ name: 'fleet', password: 'fleet-password' }] }))

describe.each(RELEASE_SHAPES.map((traits) => [traits.release, traits] as const))('%s', (_name, traits) => {
  const script = firstRunScript(sealed, traits, '0')
  const userData = (YAML.parse(nativeBootFiles(sealed, traits, 'c'.repeat(64)).find((file) => file.path === '/user-data')?.content ?? '') ?? {}) as { runcmd?: string[][] }

  if (traits.firstBoot === 'cloud-init') {
    it("hands the token over in one user-data runcmd entry, for the recipe's first user; first_run_setup.sh has none of it", () => {
      expect(userData.runcmd).toHaveLength(1)
      const [shell, flag, body] = userData.runcmd![0]!
      expect([shell, flag]).toEqual(['sh', '-c'])
      expect(body).toContain(`CONNECT_TOKEN='${TOKEN}'`)
      expect(body).toContain("CONNECT_USER='fleet'")
      expect(body).toContain('.config/com.raspberrypi.connect/auth.key')
      expect(script).not.toContain(TOKEN)
      expect(script).not.toContain('rpi-connect')
    })
  } else {
    it("hands the token over in first_run_setup.sh, on one line the runner scrubs; no cloud-init seed", () => {
      const lines = script.split('\n').filter((line) => line.includes(TOKEN))
      expect(lines).toEqual([`CONNECT_TOKEN='${TOKEN}' # orchard:secret`])
      expect(script).toContain('rpi-connect-signin.path')
      expect(script).toContain("CONNECT_USER='fleet'")
      expect(userData.runcmd).toBeUndefined()
    })
  }
})

describe('the token', () => {
  it('is sealed as authKey: a build.zip may carry the sealed recipe, never the typed field', () => {
    expect(sealed.connect).toEqual({ authKey: TOKEN })
    expect(plaintextSecretFields(recipe({ token: TOKEN }))).toEqual(['connect.token'])
    expect(plaintextSecretFields(sealed)).toEqual([])
  })

  it('is in neither build info nor the fingerprint, which is the same typed or sealed', () => {
    const info = buildInfoText({ name: 'c', builder: { name: 'orchard', version: '0' }, mode: 'quick', builtAt: '', source: buildInfoSource(sealed.source, '', sealed.source.sha256), recipeSha256: '', release: RELEASE_SHAPES[0]!, customizations: describeCustomizations(sealed) })
    expect(info).toContain('Raspberry Pi Connect: signs in as fleet')
    expect(info).not.toContain(TOKEN)
    expect(recipeFingerprint(sealed)).toBe(recipeFingerprint(recipe({ token: TOKEN }, { users: [{ name: 'fleet', password: 'fleet-password' }] })))
    expect(recipeFingerprint(sealed)).toBe(recipeFingerprint(recipe({ token: 'rpuak_anotherTokenEntirely99' }, { users: [{ name: 'fleet', password: 'fleet-password' }] })))
  })

  it.each([
    ['spaces', 'rpuak_has a space', /connect\.token: must be printable ASCII without spaces/],
    ['a line break', 'rpuak_line\nbreak', /connect\.token: must be printable ASCII without spaces/],
    ['too short', 'abc', /connect\.token: must be at least 8 characters/],
  ])('refuses one with %s', (_what, token, message) => {
    expect(() => recipe({ token })).toThrow(message)
  })

  it('is given once: token or authKey', () => {
    expect(() => recipe({ token: TOKEN, authKey: TOKEN })).toThrow(/connect\.token: give exactly one of token or authKey/)
    expect(() => recipe({})).toThrow(/connect\.token: give exactly one of token or authKey/)
  })

  it("signs in as connect.user when given, else the recipe's first user, else the image's uid-1000 user", () => {
    const shape = RELEASE_SHAPES.find((traits) => traits.shape === 'firstrun')!
    expect(firstRunScript(sealRecipe(recipe({ token: TOKEN, user: 'kiosk' }, { users: [{ name: 'fleet' }] })), shape, '0')).toContain("CONNECT_USER='kiosk'")
    expect(firstRunScript(sealRecipe(recipe({ token: TOKEN })), shape, '0')).toContain("CONNECT_USER=''")
  })
})
