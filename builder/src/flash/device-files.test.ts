import { describe, expect, it } from 'vitest'
import { deviceFiles, deviceFilesHash, renderDeviceEnv, type DeviceFile } from './device-files'

describe('renderDeviceEnv', () => {
  it('writes HOSTNAME first, the rest in code-point order, values literal and quoted only when the runner or an editor would change them', () => {
    const variables = {
      HOSTNAME: 'ignored-the-device-hostname-wins',
      Z_LAST: 'z',
      A_DOLLAR: '$(reboot) $HOME `id` \\n',
      EMPTY: '',
      INNER_QUOTES: 'say "hi" it\'s',
      WRAPPED_DOUBLE: '"quoted"',
      WRAPPED_SINGLE: "'quoted'",
      LEADING_QUOTE: '"open',
      TRAILING_QUOTE: "close'",
      LEADING_SPACE: '  x',
      TRAILING_TAB: 'x\t',
      EQUALS_HASH: 'a=b # not a comment',
      UTF8: 'Wi-Fi é ✓',
      lower_key: 'ok',
    }
    expect(renderDeviceEnv({ hostname: 'pi-1', variables })).toBe(
      [
        '# Written by Orchard for pi-1',
        'HOSTNAME=pi-1',
        'A_DOLLAR=$(reboot) $HOME `id` \\n',
        'EMPTY=',
        'EQUALS_HASH=a=b # not a comment',
        `INNER_QUOTES=say "hi" it's`,
        'LEADING_QUOTE=""open"',
        'LEADING_SPACE="  x"',
        'TRAILING_QUOTE="close\'"',
        'TRAILING_TAB="x\t"',
        'UTF8=Wi-Fi é ✓',
        'WRAPPED_DOUBLE=""quoted""',
        `WRAPPED_SINGLE="'quoted'"`,
        'Z_LAST=z',
        'lower_key=ok',
        '',
      ].join('\n'),
    )
  })

  it('refuses what device.env cannot carry', () => {
    const render = (variables: Record<string, string>, hostname = 'pi') => () => renderDeviceEnv({ hostname, variables })
    expect(render({ X: 'a\nB=evil' })).toThrow('Variable X holds a line break or NUL: device.env has one line per variable')
    expect(render({ X: 'a\r' })).toThrow('Variable X holds a line break or NUL')
    expect(render({ X: 'a\0' })).toThrow('Variable X holds a line break or NUL')
    expect(render({ '1X': 'a' })).toThrow('Variable name "1X" is not valid')
    expect(render({ 'A-B': 'a' })).toThrow('Variable name "A-B" is not valid')
    expect(render({ PATH: '/tmp' })).toThrow('Variable PATH is reserved by the startup-scripts runner')
    expect(render({ ORCHARD_BOOT: '/x' })).toThrow('Variable ORCHARD_BOOT is reserved')
    expect(render({ ORCHARD_SCRIPT_TIMEOUT: '60' })()).toContain('\nORCHARD_SCRIPT_TIMEOUT=60\n')
    expect(render({}, 'Pi\nX=1')).toThrow('Hostname "Pi\nX=1" is not valid')
  })
})

describe('deviceFiles', () => {
  const device = { hostname: 'pi-7', variables: { HOSTNAME: 'pi-7', IP: '10.0.0.7' } }

  it('places device.env and the extras under startup-scripts, sorted by path', () => {
    const files = deviceFiles(device, {
      runOnce: { '10-setup.sh': Buffer.from('a') },
      everyTime: { 'clock.sh': Buffer.from('b') },
      resources: { 'certs/ca.pem': Buffer.from('c'), 'app.conf': Buffer.from('d') },
    })
    expect(files.map((f) => f.path)).toEqual([
      '/startup-scripts/device.env',
      '/startup-scripts/every-time/clock.sh',
      '/startup-scripts/resources/app.conf',
      '/startup-scripts/resources/certs/ca.pem',
      '/startup-scripts/run-once/10-setup.sh',
    ])
    expect(files[0]!.content.toString()).toBe('# Written by Orchard for pi-7\nHOSTNAME=pi-7\nIP=10.0.0.7\n')
  })

  it('refuses names FAT cannot hold, folders of scripts, hidden scripts and names FAT would merge', () => {
    const b = Buffer.from('x')
    expect(() => deviceFiles(device, { runOnce: { 'a:b.sh': b } })).toThrow('"a:b.sh" cannot be a file name in run-once/ on a FAT card')
    expect(() => deviceFiles(device, { runOnce: { 'sub/a.sh': b } })).toThrow('(no folders: the runner runs only files)')
    expect(() => deviceFiles(device, { everyTime: { '..': b } })).toThrow('cannot be a file name in every-time/')
    expect(() => deviceFiles(device, { runOnce: { '.hidden.sh': b } })).toThrow('would never run: the runner skips names starting with "."')
    expect(() => deviceFiles(device, { resources: { '../device.env': b } })).toThrow('cannot be a file name in resources/')
    expect(() => deviceFiles(device, { resources: { 'a//b': b } })).toThrow('cannot be a file name in resources/')
    expect(() => deviceFiles(device, { runOnce: { 'A.sh': b, 'a.sh': b } })).toThrow(
      'Device files /startup-scripts/run-once/A.sh and /startup-scripts/run-once/a.sh are the same file on FAT',
    )
  })
})

describe('deviceFilesHash', () => {
  const files: DeviceFile[] = [
    { path: '/startup-scripts/device.env', content: Buffer.from('HOSTNAME=pi\n') },
    { path: '/startup-scripts/run-once/a.sh', content: Buffer.from('echo a\n') },
  ]
  const hash = deviceFilesHash(files)

  it('is stable: the same files in any order hash the same, and the value is pinned', () => {
    expect(hash).toBe('62ddfd3adec036734be6dbb914674e5a99e98d93c9e6714315aff83dd7ab5793')
    expect(deviceFilesHash([...files].reverse())).toBe(hash)
    expect(deviceFilesHash(files.map((f) => ({ path: f.path, content: Buffer.from(f.content) })))).toBe(hash)
    expect(deviceFilesHash([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('changes with any byte of any content or path', () => {
    const seen = new Set([hash])
    for (const [index, file] of files.entries()) {
      for (let i = 0; i < file.content.length; i++) {
        const content = Buffer.from(file.content)
        content[i] = content[i]! ^ 1
        seen.add(deviceFilesHash(files.map((f, j) => (j === index ? { ...f, content } : f))))
      }
      seen.add(deviceFilesHash(files.map((f, j) => (j === index ? { ...f, path: `${f.path}x` } : f))))
      seen.add(deviceFilesHash(files.map((f, j) => (j === index ? { ...f, content: Buffer.concat([f.content, Buffer.alloc(1)]) } : f))))
    }
    const expected = 1 + files.reduce((n, f) => n + f.content.length + 2, 0)
    expect(seen.size).toBe(expected)
  })

  it('does not confuse where one file ends and the next begins', () => {
    const a = [{ path: '/a', content: Buffer.from('xy') }, { path: '/b', content: Buffer.from('') }]
    const b = [{ path: '/a', content: Buffer.from('x') }, { path: '/b', content: Buffer.from('y') }]
    expect(deviceFilesHash(a)).not.toBe(deviceFilesHash(b))
  })
})
