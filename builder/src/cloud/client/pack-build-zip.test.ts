/** Packing's pure parts: build ids, zip paths, the sealed recipe's data. */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { sealRecipe } from '../../recipe/secrets'
import { parseRecipe, parseRecipeYaml } from '../../recipe/load'
import { newBuildId, sealedRecipeData, zipPathFor } from './pack-build-zip'
import YAML from 'yaml'

describe('zipPathFor', () => {
  it('keeps paths under the recipe folder and numbers the ones outside, keeping their names', () => {
    let n = 0
    const next = () => ++n
    const base = path.resolve('/home/me/project')
    expect(zipPathFor(base, 'scripts/a.sh', next)).toBe('files/scripts/a.sh')
    expect(zipPathFor(base, './b.sh', next)).toBe('files/b.sh')
    expect(zipPathFor(base, '../shared/ca.pem', next)).toBe('outside/1/ca.pem')
    expect(zipPathFor(base, '/etc/ssl/ca.pem', next)).toBe('outside/2/ca.pem')
    expect(zipPathFor(base, '..foo/x', next)).toBe('files/..foo/x')
  })
})

describe('sealedRecipeData', () => {
  it('is a valid recipe again, with hashes in place of secrets and paths rewritten', () => {
    const recipe = parseRecipe({
      name: 'r',
      source: { path: 'base.img', sha256: 'a'.repeat(64) },
      arch: 'arm64',
      users: [{ name: 'pi', password: 'plain-password' }, { name: 'keys' }],
      wifi: { ssid: 'Net', passphrase: 'plain-passphrase', country: 'GB' },
      files: [{ source: 'motd', target: '/etc/motd', mode: '0600' }],
      firstBoot: ['first.sh'],
    })
    const data = sealedRecipeData(sealRecipe(recipe), (field, file) => `zip/${field}/${file}`)
    const text = YAML.stringify(data)
    expect(text).not.toContain('plain-password')
    expect(text).not.toContain('plain-passphrase')
    const again = parseRecipeYaml(text)
    expect(again.users[0]!.passwordHash).toMatch(/^\$6\$/)
    expect(again.users[1]).not.toHaveProperty('passwordHash')
    expect(again.wifi!.psk).toMatch(/^[a-f0-9]{64}$/)
    expect(again.source.path).toBe('zip/source.path/base.img')
    expect(again.files[0]).toMatchObject({ source: 'zip/files[0].source/motd', mode: '0600' })
    expect(again.firstBoot).toEqual(['zip/firstBoot[0]/first.sh'])
  })
})

describe('newBuildId', () => {
  it('sorts by time', () => {
    expect(newBuildId(new Date('2025-12-31T23:59:58Z'))).toMatch(/^20251231-235958-[0-9a-f]{8}$/)
    expect(newBuildId(new Date('2025-01-01T00:00:00Z')) < newBuildId(new Date('2025-01-01T00:00:01Z'))).toBe(true)
  })
})
