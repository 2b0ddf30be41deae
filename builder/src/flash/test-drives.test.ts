/** Where test drives come from: the environment's list, and which root-folder entries root may trust. */
import { describe, expect, it } from 'vitest'
import { ownershipProblem, testDrivesFromEnv } from './test-drives'

describe('testDrivesFromEnv', () => {
  it('reads the comma-separated list, skipping blanks', () => {
    expect(testDrivesFromEnv({ ORCHARD_TEST_DRIVES: ' /dev/loop3, ,/dev/loop4,' })).toEqual(['/dev/loop3', '/dev/loop4'])
    expect(testDrivesFromEnv({})).toEqual([])
  })
})

describe('ownershipProblem', () => {
  it('trusts only what root owns and no one else can write', () => {
    expect(ownershipProblem({ uid: 0, mode: 0o100644 })).toBeNull()
    expect(ownershipProblem({ uid: 0, mode: 0o40755 })).toBeNull()
    expect(ownershipProblem({ uid: 0, mode: 0o100600 })).toBeNull()
    expect(ownershipProblem({ uid: 1000, mode: 0o100644 })).toBe('owned by uid 1000, not root')
    expect(ownershipProblem({ uid: 0, mode: 0o100664 })).toBe('writable by its group or everyone (mode 0664)')
    expect(ownershipProblem({ uid: 0, mode: 0o100646 })).toBe('writable by its group or everyone (mode 0646)')
    expect(ownershipProblem({ uid: 0, mode: 0o41777 })).toBe('writable by its group or everyone (mode 0777)') // /tmp
  })
})
