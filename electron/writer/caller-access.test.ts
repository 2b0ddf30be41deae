import { describe, expect, it } from 'vitest'
import { mayRead } from './caller-access'

describe('mayRead', () => {
  const file = (uid: number, gid: number, mode: number) => ({ uid, gid, mode: 0o100000 | mode })
  it('reads the owner, group and other bits as the kernel does (no fallthrough to looser bits)', () => {
    expect(mayRead(file(1000, 1000, 0o600), 1000, [1000])).toBe(true)
    expect(mayRead(file(1000, 1000, 0o044), 1000, [1000])).toBe(false)
    expect(mayRead(file(0, 42, 0o640), 1000, [1000, 42])).toBe(true)
    expect(mayRead(file(0, 42, 0o604), 1000, [1000, 42])).toBe(false)
    expect(mayRead(file(0, 0, 0o644), 1000, [1000])).toBe(true)
    expect(mayRead(file(0, 0, 0o640), 1000, [1000])).toBe(false) // /etc/shadow-like
    expect(mayRead(file(0, 0, 0o000), 0, [0])).toBe(true)
  })
})
