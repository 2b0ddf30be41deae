import { describe, expect, it } from 'vitest'
import { devicesToCsv, parseDevicesCsv, variableName, type Device } from './devices-csv'

describe('parseDevicesCsv', () => {
  it('reads a spreadsheet export: BOM, CRLF, quoted commas, doubled quotes and line breaks, a trailing empty line', () => {
    const text = '\uFEFFhostname,Static IP,notes,wifi-ssid\r\npi-1,10.0.0.1/24,"a, b","Home ""5G"""\r\n  pi-2 ,  10.0.0.2/24  ,"  spaced  ",\r\n\r\n'
    const { devices, problems } = parseDevicesCsv(text)
    expect(problems).toEqual([])
    expect(devices).toEqual([
      { hostname: 'pi-1', variables: { HOSTNAME: 'pi-1', STATIC_IP: '10.0.0.1/24', NOTES: 'a, b', WIFI_SSID: 'Home "5G"' } },
      { hostname: 'pi-2', variables: { HOSTNAME: 'pi-2', STATIC_IP: '10.0.0.2/24', NOTES: '  spaced  ', WIFI_SSID: '' } },
    ])
  })

  it('reads LF and classic Mac CR line ends alike', () => {
    const expected = [{ hostname: 'a', variables: { HOSTNAME: 'a', X: '1' } }, { hostname: 'b', variables: { HOSTNAME: 'b', X: '2' } }]
    expect(parseDevicesCsv('hostname,x\na,1\nb,2').devices).toEqual(expected)
    expect(parseDevicesCsv('hostname,x\ra,1\rb,2\r').devices).toEqual(expected)
  })

  it('skips empty lines and rows of empty fields', () => {
    const { devices, problems } = parseDevicesCsv('hostname,x\n\n,\n   \na,1\n,,\n')
    expect(problems).toEqual([])
    expect(devices.map((d) => d.hostname)).toEqual(['a'])
  })

  it('normalizes header names into variable names', () => {
    expect(variableName('static ip')).toBe('STATIC_IP')
    expect(variableName('wifi-ssid')).toBe('WIFI_SSID')
    expect(variableName('  Mqtt - Broker  ')).toBe('MQTT_BROKER')
    const { devices, problems } = parseDevicesCsv('HostName,static ip,wifi-ssid,_x9\npi,1,2,3\n')
    expect(problems).toEqual([])
    expect(devices[0]!.variables).toEqual({ HOSTNAME: 'pi', STATIC_IP: '1', WIFI_SSID: '2', _X9: '3' })
  })

  it('reports header problems on row 1, naming the column', () => {
    const { devices, problems } = parseDevicesCsv('hostname,9lives,ip.addr,path,Static IP,static-ip,,orchard_x,orchard_script_timeout\npi,a,b,c,d,e,f,g,60\n')
    expect(problems).toEqual([
      { row: 1, column: '9lives', message: '"9lives" is not a usable variable name: it becomes 9LIVES, which must be letters, digits and _ and not start with a digit' },
      { row: 1, column: 'ip.addr', message: '"ip.addr" is not a usable variable name: it becomes IP.ADDR, which must be letters, digits and _ and not start with a digit' },
      { row: 1, column: 'path', message: 'PATH is reserved by the startup-scripts runner (it would be ignored)' },
      { row: 1, column: 'static-ip', message: 'Columns "Static IP" and "static-ip" both become STATIC_IP' },
      { row: 1, message: 'Column 7 has values but no name' },
      { row: 1, column: 'orchard_x', message: 'ORCHARD_X is reserved by the startup-scripts runner (it would be ignored)' },
    ])
    // The rows still read, with the usable columns only.
    expect(devices).toEqual([{ hostname: 'pi', variables: { HOSTNAME: 'pi', STATIC_IP: 'd', ORCHARD_SCRIPT_TIMEOUT: '60' } }])
  })

  it('ignores a nameless column without values (a stray trailing comma)', () => {
    expect(parseDevicesCsv('hostname,x,\npi,1,\n')).toEqual({ devices: [{ hostname: 'pi', variables: { HOSTNAME: 'pi', X: '1' } }], problems: [] })
  })

  it('needs a header with a hostname column, comma-separated', () => {
    expect(parseDevicesCsv('')).toEqual({ devices: [], problems: [{ row: 1, message: 'The file is empty: it needs a header row with a "hostname" column' }] })
    expect(parseDevicesCsv('\uFEFF\r\n\r\n').problems).toEqual([{ row: 1, message: 'The file is empty: it needs a header row with a "hostname" column' }])
    expect(parseDevicesCsv('name,ip\npi,1\n')).toEqual({ devices: [], problems: [{ row: 1, message: 'The header has no "hostname" column' }] })
    expect(parseDevicesCsv('hostname;ip\npi;1\n')).toEqual({
      devices: [],
      problems: [{ row: 1, message: 'The header has ";" but no comma: Orchard reads comma-separated files only (save the file as CSV with commas)' }],
    })
    expect(parseDevicesCsv('\n\n"hostname,ip\npi,1\n').problems).toEqual([{ row: 3, message: 'The header row is not valid CSV: a quoted field is not closed (a " is missing)' }])
  })

  it('reports every row-level problem with the line the row starts on', () => {
    const text = [
      'hostname,ip,note', // 1
      'pi-1,10.0.0.1,ok', // 2
      ',10.0.0.2,no name', // 3
      'Pi_3,10.0.0.3,bad name', // 4
      'pi-1,10.0.0.4,again', // 5
      'pi-5,10.0.0.5', // 6
      'pi-6,"10.0.0.6', // 7: a quoted line break
      '",two lines', // 8
      'pi-7,1,"a"b', // 9
      `${'a'.repeat(64)},1,x`, // 10
      '-pi,1,x', // 11
      'pi-8,1,"unclosed', // 12
      'pi-9,1,x', // 13 (inside the unclosed quote)
    ].join('\r\n')
    const { devices, problems } = parseDevicesCsv(text)
    const rule = 'must be 1–63 lowercase letters, digits or hyphens, not starting or ending with a hyphen'
    expect(problems).toEqual([
      { row: 3, column: 'hostname', message: 'Missing hostname' },
      { row: 4, column: 'hostname', message: `Hostname "Pi_3" is not valid: it ${rule}` },
      { row: 5, column: 'hostname', message: 'Hostname "pi-1" is on rows 2 and 5' },
      { row: 6, message: 'Has 2 fields, the header has 3' },
      { row: 7, column: 'ip', message: 'IP holds a line break: device.env has one line per variable' },
      { row: 9, message: 'Not valid CSV: text after a closing quote (a " inside a quoted field must be doubled: "")' },
      { row: 10, column: 'hostname', message: `Hostname "${'a'.repeat(64)}" is not valid: it ${rule}` },
      { row: 11, column: 'hostname', message: `Hostname "-pi" is not valid: it ${rule}` },
      { row: 12, message: 'Not valid CSV: a quoted field is not closed (a " is missing)' },
    ])
    expect(devices.map((d) => d.hostname)).toEqual(['pi-1'])
  })

  it('finds a duplicate hostname also when the first row has another problem', () => {
    expect(parseDevicesCsv('hostname,x\npi,"a\nb"\npi,1\n').problems).toEqual([
      { row: 2, column: 'x', message: 'X holds a line break: device.env has one line per variable' },
      { row: 4, column: 'hostname', message: 'Hostname "pi" is on rows 2 and 4' },
    ])
  })

  it('reports a NUL in a value', () => {
    expect(parseDevicesCsv('hostname,x\npi,a\0b\n').problems).toEqual([{ row: 2, column: 'x', message: 'X holds a NUL character' }])
  })

  it('keeps values as given: no unquoting inside, $ and backslashes and = literal', () => {
    const { devices } = parseDevicesCsv('hostname,cmd\npi,$(reboot) \\n a=b \'q\'\n')
    expect(devices[0]!.variables.CMD).toBe("$(reboot) \\n a=b 'q'")
  })
})

describe('devicesToCsv', () => {
  const devices: Device[] = [
    { hostname: 'pi-1', variables: { HOSTNAME: 'pi-1', STATIC_IP: '10.0.0.1/24', NOTE: 'a, "b"', PAD: '  x  ', EMPTY: '' } },
    { hostname: 'pi-2', variables: { HOSTNAME: 'pi-2', STATIC_IP: '', NOTE: '$HOME é', PAD: '\tt', EMPTY: '' } },
  ]

  it('writes RFC 4180 with quotes only where needed', () => {
    expect(devicesToCsv(devices)).toBe(
      'hostname,STATIC_IP,NOTE,PAD,EMPTY\r\npi-1,10.0.0.1/24,"a, ""b""","  x  ",\r\npi-2,,$HOME é,\'\tt,\r\n',
    )
  })

  it('round-trips through parseDevicesCsv', () => {
    expect(parseDevicesCsv(devicesToCsv(devices))).toEqual({ devices, problems: [] })
  })

  // Values come from imported CSVs; a spreadsheet must never run one as a formula (OWASP CSV injection).
  const hostile: Device[] = [
    {
      hostname: 'pi-1',
      variables: {
        HOSTNAME: 'pi-1',
        F: '=HYPERLINK("http://evil.example","x")',
        P: "+1+cmd|' /C calc'!A0",
        M: '-2+3',
        A: '@SUM(A1)',
        T: '\t=1',
        R: '\r=1',
        Q: "'=already quoted",
        QQ: "''",
        PLAIN: "'just a quote",
      },
    },
  ]

  it('neutralises cells a spreadsheet would run as a formula with a leading single quote', () => {
    const [header, row] = devicesToCsv(hostile).split('\r\n')
    expect(header).toBe('hostname,F,P,M,A,T,R,Q,QQ,PLAIN')
    expect(row).toBe(`pi-1,"'=HYPERLINK(""http://evil.example"",""x"")",'+1+cmd|' /C calc'!A0,'-2+3,'@SUM(A1),'\t=1,"'\r=1",''=already quoted,''','just a quote`)
  })

  it('reads its neutralised cells back as the values it exported', () => {
    // A line break cannot be a device value (device.env has one line per variable), so R gets a plain one here.
    const values = hostile.map((device) => ({ ...device, variables: { ...device.variables, R: 'r' } }))
    expect(parseDevicesCsv(devicesToCsv(values))).toEqual({ devices: values, problems: [] })
  })

  it('writes a missing variable as an empty field', () => {
    const csv = devicesToCsv([{ hostname: 'a', variables: { X: '1' } }, { hostname: 'b', variables: { Y: '2' } }])
    expect(csv).toBe('hostname,X,Y\r\na,1,\r\nb,,2\r\n')
  })
})
