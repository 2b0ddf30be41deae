import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { derivedSalt, hashPassword, wifiPsk } from './crypt'
import { sealRecipe } from './secrets'
import { RecipeSchema } from './schema'

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

  it('refuses a salt sha512-crypt cannot carry', () => {
    expect(() => hashPassword('x', 'has$dollar')).toThrow(/salt/)
  })
})

describe('derivedSalt', () => {
  const recipe = (name: string, user = 'pi') =>
    RecipeSchema.parse({ name, arch: 'arm64', source: { path: 'x.img', sha256: 'a'.repeat(64) }, users: [{ name: user, password: 'secret' }] })
  const sealedHash = (r: ReturnType<typeof recipe>) => sealRecipe(r).users[0]!.passwordHash!

  it('gives the same recipe the same hash, which openssl accepts for the password', () => {
    const hash = sealedHash(recipe('a'))
    expect(sealedHash(recipe('a'))).toBe(hash)
    const salt = hash.split('$')[2]!
    expect(salt).toMatch(/^[./0-9A-Za-z]{16}$/)
    expect(execFileSync('openssl', ['passwd', '-6', '-salt', salt, 'secret'], { encoding: 'utf8' }).trim()).toBe(hash)
  })

  it('differs between recipes and between users', () => {
    expect(sealedHash(recipe('a'))).not.toBe(sealedHash(recipe('b')))
    expect(derivedSalt('f'.repeat(64), 'pi')).not.toBe(derivedSalt('f'.repeat(64), 'admin'))
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
