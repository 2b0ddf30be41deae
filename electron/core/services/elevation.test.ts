import { describe, expect, it } from 'vitest'
import { OrchardError } from '@common/errors'
import { elevationRefusal, planElevation, type ElevationRequest } from './elevation'

const writer = { command: '/usr/bin/node', args: ['/opt/orchard/out/main/writer.js'], env: { ELECTRON_RUN_AS_NODE: '1' } }
const request = (over: Partial<ElevationRequest>): ElevationRequest => ({ writer, drives: ['/dev/sdb', '/dev/sdc'], platform: 'linux', elevated: false, pkexec: '/usr/bin/pkexec', ...over })

describe('planElevation', () => {
  it('runs pkexec on Linux with the environment passed through env(1) and the drives named', () => {
    expect(planElevation(request({}))).toEqual({
      kind: 'pkexec',
      command: '/usr/bin/pkexec',
      args: ['--disable-internal-agent', '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', '/usr/bin/node', '/opt/orchard/out/main/writer.js', '--drives', '/dev/sdb', '/dev/sdc'],
    })
  })

  it('runs the packaged launcher directly under pkexec (its path is the polkit action exec.path)', () => {
    const launcher = { command: '/opt/Orchard/resources/writer/orchard-writer', args: [] }
    expect(planElevation(request({ writer: launcher, drives: ['/dev/sdb'] }))).toEqual({
      kind: 'pkexec',
      command: '/usr/bin/pkexec',
      args: ['--disable-internal-agent', '/opt/Orchard/resources/writer/orchard-writer', '--drives', '/dev/sdb'],
    })
  })

  it('asks nothing when already elevated or when no drive is written', () => {
    expect(planElevation(request({ elevated: true }))).toMatchObject({ kind: 'direct', command: '/usr/bin/node', args: [...writer.args, '--drives', '/dev/sdb', '/dev/sdc'] })
    expect(planElevation(request({ drives: [] }))).toMatchObject({ kind: 'direct', args: writer.args })
  })

  it('gives macOS one quoted command line that connects back, with the environment as options', () => {
    const mac = { command: '/Applications/Orchard.app/Contents/MacOS/Orchard', args: ['/Applications/Orchard.app/Contents/Resources/app.asar/out/main/writer.js'], env: { ELECTRON_RUN_AS_NODE: '1' } }
    expect(planElevation(request({ platform: 'darwin', writer: mac, drives: ['/dev/disk4'], connect: { socket: '/tmp/orchard-w/writer.sock', tokenFile: '/tmp/orchard-w/token', callerUid: 501 } }))).toEqual({
      kind: 'sudo-prompt',
      commandLine:
        '"/Applications/Orchard.app/Contents/MacOS/Orchard" "/Applications/Orchard.app/Contents/Resources/app.asar/out/main/writer.js" "--connect" "/tmp/orchard-w/writer.sock" "/tmp/orchard-w/token" "--caller-uid" "501" "--drives" "/dev/disk4"',
      options: { name: 'Orchard', env: { ELECTRON_RUN_AS_NODE: '1' } },
    })
  })

  it('gives Windows the same shape with its paths and a physical drive', () => {
    const win = { command: 'C:\\Program Files\\Orchard\\Orchard.exe', args: ['C:\\Program Files\\Orchard\\resources\\app.asar\\out\\main\\writer.js'], env: { ELECTRON_RUN_AS_NODE: '1' } }
    const plan = planElevation(request({ platform: 'win32', writer: win, drives: ['\\\\.\\PhysicalDrive2'], connect: { socket: '\\\\.\\pipe\\orchard-writer-x', tokenFile: 'C:\\Users\\me\\AppData\\Local\\Temp\\orchard-w\\token', callerUid: 0 } }))
    expect(plan.kind).toBe('sudo-prompt')
    expect(plan.kind === 'sudo-prompt' && plan.commandLine).toBe(
      '"C:\\Program Files\\Orchard\\Orchard.exe" "C:\\Program Files\\Orchard\\resources\\app.asar\\out\\main\\writer.js" "--connect" "\\\\.\\pipe\\orchard-writer-x" "C:\\Users\\me\\AppData\\Local\\Temp\\orchard-w\\token" "--caller-uid" "0" "--drives" "\\\\.\\PhysicalDrive2"',
    )
  })

  it('refuses what it cannot pass safely, and says what to install when pkexec is missing', () => {
    expect(() => planElevation(request({ platform: 'darwin', drives: ['/dev/disk4"; rm -rf /'], connect: { socket: '/s', tokenFile: '/t', callerUid: 501 } }))).toThrow(/safely/)
    expect(() => planElevation(request({ writer: { ...writer, env: { 'BAD NAME': 'x' } } }))).toThrow(/environment variable/)
    const missing = (() => {
      try {
        planElevation(request({ pkexec: null }))
      } catch (error) {
        return error as OrchardError
      }
    })()
    expect(missing?.code).toBe('FORBIDDEN')
    expect(missing?.message).toContain('pkexec')
  })
})

describe('elevationRefusal', () => {
  const pkexec = planElevation(request({}))
  it('maps pkexec dismissed and not authorized to FORBIDDEN, and leaves other exits alone', () => {
    expect(elevationRefusal(pkexec, 126, '')?.message).toContain('dismissed')
    expect(elevationRefusal(pkexec, 127, 'Error executing command as another user: Not authorized')?.code).toBe('FORBIDDEN')
    expect(elevationRefusal(pkexec, 127, 'Error executing command as another user: No authentication agent found.')?.message).toContain('agent')
    expect(elevationRefusal(pkexec, 1, 'boom')).toBeNull()
  })
})
