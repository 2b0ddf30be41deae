import { describe, expect, it } from 'vitest'
import { checkDevices, parseCsv, toCsv } from './devices'

describe('devices.check', () => {
  it('accepts good devices with their variables and scripts', () => {
    expect(checkDevices([{ hostname: 'a-1', variables: { HOSTNAME: 'a-1', SITE: 'x' }, files: { runOnce: { '10-a.sh': 'echo' }, resources: { 'certs/ca.pem': 'pem' } } }])).toEqual({ problems: [] })
  })

  it('names each device, field and key at fault, with the builder’s own messages', () => {
    const { problems } = checkDevices([
      { hostname: 'Bad_Host', variables: {} },
      { hostname: 'dup', variables: {} },
      { hostname: 'dup', variables: { PATH: '/x', 'not ok': 'y' } },
      { hostname: '', variables: {} },
      { hostname: 'files', variables: {}, files: { runOnce: { 'sub/x.sh': '', '.hidden': '' } } },
    ])
    expect(problems).toEqual([
      { index: 0, field: 'hostname', message: expect.stringContaining('"Bad_Host" is not a valid hostname: it must be 1–63 lowercase letters') },
      { index: 2, field: 'hostname', message: '"dup" is also device 2' },
      { index: 2, field: 'variables', key: 'PATH', message: 'Variable PATH is reserved by the startup-scripts runner' },
      { index: 2, field: 'variables', key: 'not ok', message: expect.stringContaining('Variable name "not ok" is not valid') },
      { index: 3, field: 'hostname', message: 'Missing hostname' },
      { index: 4, field: 'files', message: expect.stringContaining('"sub/x.sh" cannot be a file name in run-once/') },
    ])
  })
})

describe('devices CSV round trip', () => {
  it('exports what it imports (files are not part of the CSV)', () => {
    const { devices, problems } = parseCsv('hostname,site\r\nn-1,"a, b"\r\n')
    expect(problems).toEqual([])
    const { csv } = toCsv(devices.map((d) => ({ ...d, files: { runOnce: { 'x.sh': 'y' } } })))
    expect(parseCsv(csv).devices).toEqual(devices)
  })
})
