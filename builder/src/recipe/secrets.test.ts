import { describe, expect, it } from 'vitest'
import { wifiPsk } from './crypt'
import { parseRecipeYaml, recipeHash } from './load'
import { plaintextSecretFields, sealRecipe, secretValues, withoutSecrets } from './secrets'

const recipe = parseRecipeYaml(`name: t
source: { url: "https://example.org/a.img.xz", sha256: ${'a'.repeat(64)} }
arch: arm64
users:
  - { name: pi, password: "plain-text-password" }
  - { name: ops, passwordHash: "$6$salt$hash" }
  - { name: keys-only }
wifi: { ssid: home, passphrase: "plain-wifi-passphrase", country: GB }
`)

describe('sealRecipe', () => {
  it('leaves no plaintext secret anywhere in what follows', () => {
    const sealed = sealRecipe(recipe)
    const text = JSON.stringify(sealed)
    expect(text).not.toContain('plain-text-password')
    expect(text).not.toContain('plain-wifi-passphrase')
    expect(sealed.users.map((user) => user.passwordHash?.slice(0, 3) ?? null)).toEqual(['$6$', '$6$', null])
    expect(sealed.users[1]!.passwordHash).toBe('$6$salt$hash')
    expect(sealed.wifi!.psk).toBe(wifiPsk('home', 'plain-wifi-passphrase'))
  })
})

describe('the declared secrets', () => {
  it('finds every secret value, typed or sealed', () => {
    expect(secretValues(recipe)).toEqual(['plain-text-password', '$6$salt$hash', 'plain-wifi-passphrase'])
    const sealed = sealRecipe(recipe)
    expect(secretValues(sealed)).toEqual([sealed.users[0]!.passwordHash, '$6$salt$hash', sealed.wifi!.psk])
  })

  it('names the plaintext fields a recipe holds', () => {
    expect(plaintextSecretFields(recipe)).toEqual(['users[].password', 'wifi.passphrase'])
    expect(plaintextSecretFields(sealRecipe(recipe))).toEqual([])
  })

  it('fingerprints a recipe and its sealed form alike, with no secret in what is hashed', () => {
    const sealed = sealRecipe(recipe)
    expect(recipeHash(sealed)).toBe(recipeHash(recipe))
    const hashed = JSON.stringify(withoutSecrets(sealed))
    for (const secret of [...secretValues(recipe), ...secretValues(sealed)]) expect(hashed).not.toContain(secret)
    // A user without a password stays without one: the marker says a secret was there, not its value.
    expect(withoutSecrets(sealed).users.map((user) => 'password' in user)).toEqual([true, true, false])
  })

  it('fingerprints a different secret the same, and a different non-secret differently', () => {
    const other = parseRecipeYaml(JSON.stringify({ ...recipe, wifi: { ...recipe.wifi, passphrase: 'another-passphrase' } }))
    expect(recipeHash(other)).toBe(recipeHash(recipe))
    expect(recipeHash({ ...recipe, name: 'u' })).not.toBe(recipeHash(recipe))
  })
})
