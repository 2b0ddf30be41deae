import { describe, expect, it } from 'vitest'
import { parseRecipeYaml } from '../recipe/load'

const recipe = (ssid: string) => `name: w
source: { url: "https://example.org/a.img.xz", sha256: ${'a'.repeat(64)} }
arch: arm64
wifi: { ssid: ${JSON.stringify(ssid)}, passphrase: "long enough passphrase", country: GB }
`

describe('wifi.ssid', () => {
  it.each([['a newline', 'a\n[connection]\nid=evil'], ['a tab', 'a\tb'], ['an escape', 'a\x1bb']])('refuses %s at its path', (_what, ssid) => {
    expect(() => parseRecipeYaml(recipe(ssid))).toThrow(/wifi\.ssid: must not contain control characters \(line breaks, tabs, escapes\)/)
  })
  it('takes quotes, ; and \\ as they are', () => {
    expect(parseRecipeYaml(recipe('a;b\\c "d"')).wifi?.ssid).toBe('a;b\\c "d"')
  })
})
