import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { parseRecipeYaml } from '../recipe/load'
import { hashPassword, sealRecipe, wifiPsk } from './seal'

describe('hashPassword', () => {
  it('makes a sha512crypt hash that openssl reproduces from the same salt', () => {
    const hash = hashPassword('correct horse')
    const [, id, salt] = hash.split('$')
    expect(id).toBe('6')
    expect(salt).toMatch(/^[./0-9A-Za-z]{16}$/)
    expect(execFileSync('openssl', ['passwd', '-6', '-salt', salt!, 'correct horse'], { encoding: 'utf8' }).trim()).toBe(hash)
  })

  it('salts every hash differently', () => {
    expect(hashPassword('same')).not.toBe(hashPassword('same'))
  })
})

describe('wifiPsk', () => {
  it('matches the IEEE 802.11i test vector', () => {
    expect(wifiPsk('IEEE', 'password')).toBe('f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e')
  })

  it("matches Python's PBKDF2 for a UTF-8 SSID", () => {
    const python = "import hashlib,sys; print(hashlib.pbkdf2_hmac('sha1', sys.argv[1].encode(), sys.argv[2].encode(), 4096, 32).hex())"
    const expected = execFileSync('python3', ['-c', python, 'pässwörd 123', 'Café Wi-Fi'], { encoding: 'utf8' }).trim()
    expect(wifiPsk('Café Wi-Fi', 'pässwörd 123')).toBe(expected)
  })
})

describe('sealRecipe', () => {
  const recipe = parseRecipeYaml(`name: t
source: { url: "https://example.org/a.img.xz", sha256: ${'a'.repeat(64)} }
arch: arm64
users:
  - { name: pi, password: "plain-text-password" }
  - { name: ops, passwordHash: "$6$salt$hash" }
  - { name: keys-only }
wifi: { ssid: home, passphrase: "plain-wifi-passphrase", country: GB }
`)

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
