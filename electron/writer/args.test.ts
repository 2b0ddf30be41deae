import { describe, expect, it } from 'vitest'
import { parseWriterArgs } from './args'

describe('parseWriterArgs', () => {
  it('takes stdin/stdout without --connect, and every drive after --drives', () => {
    expect(parseWriterArgs([], {}, 1000)).toEqual({ connect: null, callerUid: 1000, allowedDrives: null })
    expect(parseWriterArgs(['--drives', '/dev/sdb', '/dev/sdc'], {}, 0)).toMatchObject({ allowedDrives: ['/dev/sdb', '/dev/sdc'] })
  })

  it('takes the socket channel and the caller uid: given, else as pkexec or sudo recorded it when root', () => {
    expect(parseWriterArgs(['--connect', '/t/s', '/t/token', '--caller-uid', '1001', '--drives', '/dev/sdb'], {}, 0)).toEqual({
      connect: { socket: '/t/s', tokenFile: '/t/token' },
      callerUid: 1001,
      allowedDrives: ['/dev/sdb'],
    })
    expect(parseWriterArgs([], { PKEXEC_UID: '1002' }, 0).callerUid).toBe(1002)
    expect(parseWriterArgs([], { SUDO_UID: '1003' }, 0).callerUid).toBe(1003)
    // Not root: its own uid, whatever the environment says.
    expect(parseWriterArgs([], { PKEXEC_UID: '1002' }, 1000).callerUid).toBe(1000)
  })

  it('refuses anything else', () => {
    for (const argv of [['/tmp/sock', '/tmp/token'], ['--connect', '/tmp/sock'], ['--caller-uid', 'root'], ['--drives'], ['--verbose']]) {
      expect(() => parseWriterArgs(argv, {}, 0)).toThrow(/usage/)
    }
  })
})
