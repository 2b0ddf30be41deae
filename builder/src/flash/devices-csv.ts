/**
 * The devices table as CSV, read the way spreadsheets write it: UTF-8 with or without a
 * BOM, LF, CRLF or CR line ends, RFC 4180 quoting. One row per device: a `hostname`
 * column and any number of variable columns, which become device.env keys. Exports
 * neutralise formula cells with a leading `'`, which reading takes off (util/csv-formula.ts).
 */
import { neutraliseFormula, readNeutralised } from '../util/csv-formula'
import type { CsvProblem, Device } from '../vocabulary'

export type { CsvProblem, Device }

// RFC 1123 label, lowercase (the recipe's rule without the {{serial}} stand-in).
const HOSTNAME = /^(?=.{1,63}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/
export const HOSTNAME_RULE = 'must be 1–63 lowercase letters, digits or hyphens, not starting or ending with a hyphen'
export const isValidHostname = (name: string): boolean => HOSTNAME.test(name)

const VARIABLE = /^[A-Z_][A-Z0-9_]*$/
// Keys the startup-scripts runner ignores in device.env (builder/rootfs/README.md), except ORCHARD_SCRIPT_TIMEOUT.
const RESERVED = new Set(['PATH', 'IFS', 'PPID', 'PWD', 'OLDPWD', 'OPTIND', 'OPTARG', 'LINENO', 'ENV', 'PS1', 'PS2', 'PS4'])
export const isReservedVariable = (key: string): boolean =>
  RESERVED.has(key) || (key.startsWith('ORCHARD_') && key !== 'ORCHARD_SCRIPT_TIMEOUT')

/** `static ip` → STATIC_IP, `wifi-ssid` → WIFI_SSID (runs of spaces and dashes become one `_`). */
export const variableName = (header: string): string => header.trim().toUpperCase().replace(/[\s-]+/g, '_')

interface CsvRecord {
  row: number
  fields: string[]
  error?: string
}

const isBlank = (c: string | undefined) => c === ' ' || c === '\t'
const endsField = (c: string | undefined) => c === ',' || c === '\n' || c === '\r'

/** Splits RFC 4180 text into records, each with the line it starts on; a record that breaks the rules carries its error. */
function readRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = []
  const n = text.length
  let i = 0
  let line = 1
  while (i < n) {
    const record: CsvRecord = { row: line, fields: [] }
    for (;;) {
      while (isBlank(text[i])) i++
      let value = ''
      if (text[i] === '"') {
        i++
        let closed = false
        while (i < n) {
          const c = text[i]!
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"'
              i += 2
              continue
            }
            i++
            closed = true
            break
          }
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++
          value += c
          i++
        }
        if (!closed) record.error ??= 'a quoted field is not closed (a " is missing)'
        while (isBlank(text[i])) i++
        if (i < n && !endsField(text[i])) {
          record.error ??= 'text after a closing quote (a " inside a quoted field must be doubled: "")'
          while (i < n && !endsField(text[i])) i++
        }
      } else {
        const start = i
        while (i < n && !endsField(text[i])) i++
        value = text.slice(start, i).replace(/[ \t]+$/, '')
      }
      record.fields.push(readNeutralised(value))
      if (text[i] !== ',') break
      i++
    }
    if (text[i] === '\r') i++
    if (text[i] === '\n') i++
    line++
    records.push(record)
  }
  return records
}

interface Column {
  index: number
  header: string
  name: string
}

/**
 * Reads the devices table. `devices` holds the rows without problems, in file order, with
 * the valid columns only; any problem should stop an import (the caller shows them all).
 * Rows that are empty (no characters, or only empty fields) are skipped.
 */
export function parseDevicesCsv(text: string): { devices: Device[]; problems: CsvProblem[] } {
  const records = readRecords(text.replace(/^\uFEFF/, '')).filter((record) => record.error || record.fields.some((f) => f !== ''))
  const problems: CsvProblem[] = []
  const [header, ...rows] = records
  if (!header) return { devices: [], problems: [{ row: 1, message: 'The file is empty: it needs a header row with a "hostname" column' }] }
  if (header.error) return { devices: [], problems: [{ row: header.row, message: `The header row is not valid CSV: ${header.error}` }] }
  if (header.fields.length === 1 && header.fields[0]!.includes(';')) {
    const message = 'The header has ";" but no comma: Orchard reads comma-separated files only (save the file as CSV with commas)'
    return { devices: [], problems: [{ row: header.row, message }] }
  }

  const width = header.fields.length
  let hostnameColumn: Column | undefined
  const variables: Column[] = []
  const byName = new Map<string, Column>()
  header.fields.forEach((raw, index) => {
    const column = { index, header: raw, name: variableName(raw) }
    if (column.name === '') {
      // Spreadsheets export stray empty columns; one with values in it needs a name.
      if (rows.some((row) => (row.fields[index] ?? '') !== '')) {
        problems.push({ row: header.row, message: `Column ${index + 1} has values but no name` })
      }
      return
    }
    const earlier = byName.get(column.name)
    if (earlier) {
      problems.push({ row: header.row, column: raw, message: `Columns "${earlier.header}" and "${raw}" both become ${column.name}` })
      return
    }
    byName.set(column.name, column)
    if (column.name === 'HOSTNAME') hostnameColumn = column
    else if (!VARIABLE.test(column.name)) {
      problems.push({
        row: header.row,
        column: raw,
        message: `"${raw}" is not a usable variable name: it becomes ${column.name}, which must be letters, digits and _ and not start with a digit`,
      })
    } else if (isReservedVariable(column.name)) {
      problems.push({ row: header.row, column: raw, message: `${column.name} is reserved by the startup-scripts runner (it would be ignored)` })
    } else variables.push(column)
  })
  if (!hostnameColumn) {
    problems.push({ row: header.row, message: 'The header has no "hostname" column' })
    return { devices: [], problems }
  }

  const devices: Device[] = []
  const seen = new Map<string, number>()
  for (const record of rows) {
    const rowProblems = checkRow(record, width, hostnameColumn, variables, seen)
    problems.push(...rowProblems)
    if (rowProblems.length > 0) continue
    const hostname = record.fields[hostnameColumn.index]!
    const values: Record<string, string> = { HOSTNAME: hostname }
    for (const column of variables) values[column.name] = record.fields[column.index]!
    devices.push({ hostname, variables: values })
  }
  return { devices, problems }
}

/** The row's problems; a valid hostname is recorded in `seen` (also when the row has other problems). */
function checkRow(record: CsvRecord, width: number, hostnameColumn: Column, variables: Column[], seen: Map<string, number>): CsvProblem[] {
  const { row } = record
  if (record.error) return [{ row, message: `Not valid CSV: ${record.error}` }]
  if (record.fields.length !== width) return [{ row, message: `Has ${record.fields.length} fields, the header has ${width}` }]
  const problems: CsvProblem[] = []
  const column = hostnameColumn.header
  const hostname = record.fields[hostnameColumn.index]!
  if (hostname === '') problems.push({ row, column, message: 'Missing hostname' })
  else if (!isValidHostname(hostname)) problems.push({ row, column, message: `Hostname "${hostname}" is not valid: it ${HOSTNAME_RULE}` })
  else if (seen.has(hostname)) problems.push({ row, column, message: `Hostname "${hostname}" is on rows ${seen.get(hostname)} and ${row}` })
  else seen.set(hostname, row)
  for (const variable of variables) {
    const value = record.fields[variable.index]!
    if (/[\r\n]/.test(value)) {
      problems.push({ row, column: variable.header, message: `${variable.name} holds a line break: device.env has one line per variable` })
    } else if (value.includes('\0')) {
      problems.push({ row, column: variable.header, message: `${variable.name} holds a NUL character` })
    }
  }
  return problems
}

const quoted = (value: string) => (/[",\r\n]|^[ \t]|[ \t]$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)
const csvField = (value: string) => quoted(neutraliseFormula(value))

/**
 * The devices table as CSV (RFC 4180: CRLF, quotes only where needed, no BOM, formula cells
 * neutralised): `hostname`,
 * then every other variable in order of first appearance. A device without a variable gets
 * an empty field, which reads back as an empty value.
 */
export function devicesToCsv(devices: Device[]): string {
  const keys: string[] = []
  for (const device of devices) {
    for (const key of Object.keys(device.variables)) if (key !== 'HOSTNAME' && !keys.includes(key)) keys.push(key)
  }
  const lines = [['hostname', ...keys], ...devices.map((device) => [device.hostname, ...keys.map((key) => device.variables[key] ?? '')])]
  return lines.map((fields) => `${fields.map(csvField).join(',')}\r\n`).join('')
}
