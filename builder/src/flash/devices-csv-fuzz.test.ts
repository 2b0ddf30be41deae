/**
 * The devices CSV reader fuzzed (fast-check, bounded in time: testing/fuzz.ts): random text
 * built from CSV's own pieces (quotes, commas, CR/LF, BOM, formula cells) never throws and
 * every problem names its row; a table written by an independent RFC 4180 writer (any line
 * ends, with or without a BOM) reads back as written; and every table Orchard exports reads
 * back value for value, formula cells included.
 */
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { fuzzRuns, fuzzSummary } from '../testing/fuzz'
import { devicesToCsv, isReservedVariable, isValidHostname, parseDevicesCsv, type Device } from './devices-csv'

const counts: Record<string, number> = {}
afterAll(() => fuzzSummary('devices CSV', counts))
const count = (name: string) => {
  counts[name] = (counts[name] ?? 0) + 1
}
const SCALE = Number(process.env.ORCHARD_FUZZ_SCALE ?? '1') || 1
const within = (seconds: number) => seconds * 1000 * SCALE + 20_000

const PIECES = ['hostname', 'Hostname', 'wifi ssid', 'x', 'pi-1', 'pi-2', 'PI', '-x', ',', ';', '"', '""', "'", '=1+1', '+x', '-1', '@SUM(A1)', "'=x", "''", '\t', ' ', '\r', '\n', '\r\n', '\uFEFF', '\0', 'é', '10.0.0.1/24', 'PATH', 'ORCHARD_X']
const csvish = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 50 }).map((parts) => parts.join(''))

describe('devices CSV, fuzzed', () => {
  it('random text never throws; every problem names a row, every device a valid hostname', () => {
    fc.assert(
      fc.property(fc.oneof(csvish, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        count('random text')
        const { devices, problems } = parseDevicesCsv(text)
        for (const problem of problems) {
          expect(Number.isInteger(problem.row) && problem.row >= 1).toBe(true)
          expect(problem.message.length).toBeGreaterThan(0)
        }
        for (const device of devices) {
          expect(isValidHostname(device.hostname)).toBe(true)
          expect(device.variables.HOSTNAME).toBe(device.hostname)
          for (const value of Object.values(device.variables)) expect(value).not.toMatch(/[\r\n\0]/)
        }
        expect(new Set(devices.map((device) => device.hostname)).size).toBe(devices.length)
      }),
      fuzzRuns(3000, 3),
    )
  }, within(3))
})

// Tables that are valid imports: unique valid hostnames, usable variable names, values without line breaks or NUL.
const hostname = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)
const variable = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/).filter((name) => name !== 'HOSTNAME' && !isReservedVariable(name))
const value = fc.oneof(
  fc.string({ maxLength: 12 }).filter((text) => !/[\r\n\0]/.test(text)),
  fc.constantFrom('=1+1', '+1', '-1', '@A1', '\t=x', "'=x", "''=x", "'", "''", "'a", ' padded ', '"quoted"', 'a,b', ' ', ''),
)
const table = fc.uniqueArray(variable, { maxLength: 4 }).chain((keys) =>
  fc
    .uniqueArray(fc.tuple(hostname, fc.array(value, { minLength: keys.length, maxLength: keys.length })), { selector: ([name]) => name, minLength: 1, maxLength: 6 })
    .map((rows): Device[] => rows.map(([name, values]) => ({ hostname: name, variables: { HOSTNAME: name, ...Object.fromEntries(keys.map((key, i) => [key, values[i]!])) } }))),
)

/** An RFC 4180 writer of our own (every field quoted), so a read is checked against something it did not write. */
function independentCsv(devices: Device[], lineEnd: string, bom: boolean): string {
  const keys = Object.keys(devices[0]!.variables).filter((key) => key !== 'HOSTNAME')
  const field = (text: string) => `"${text.replaceAll('"', '""')}"`
  const lines = [['hostname', ...keys], ...devices.map((device) => [device.hostname, ...keys.map((key) => device.variables[key]!)])]
  return `${bom ? '\uFEFF' : ''}${lines.map((line) => line.map(field).join(',')).join(lineEnd)}${lineEnd}`
}

// The reader takes one leading ' off a cell before a formula character or another '
// (exports neutralise formulas that way: util/csv-formula.ts); a cell written by another
// tool that starts like that reads without it, by design.
const undoneByReader = (text: string) => /^'[=+\-@\t\r']/.test(text)

describe('devices CSV round trips', () => {
  it('a table from another writer (CRLF, LF or CR, BOM or not) reads back as written', () => {
    fc.assert(
      fc.property(table, fc.constantFrom('\r\n', '\n', '\r'), fc.boolean(), (devices, lineEnd, bom) => {
        fc.pre(devices.every((device) => Object.values(device.variables).every((text) => !undoneByReader(text))))
        count('independent writer')
        expect(parseDevicesCsv(independentCsv(devices, lineEnd, bom))).toEqual({ devices, problems: [] })
      }),
      fuzzRuns(1500, 3),
    )
  }, within(3))

  it('what Orchard exports reads back value for value (formula cells neutralised on the way out), also with a BOM or LF', () => {
    fc.assert(
      fc.property(table, fc.boolean(), fc.boolean(), (devices, bom, lf) => {
        count('export then import')
        let text = devicesToCsv(devices)
        for (const device of devices) for (const cell of Object.values(device.variables)) if (/^[=+\-@]/.test(cell)) expect(text).not.toMatch(new RegExp(`(^|,)${cell.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(,|\\r\\n)`, 'm'))
        if (lf) text = text.replaceAll('\r\n', '\n')
        if (bom) text = `\uFEFF${text}`
        expect(parseDevicesCsv(text)).toEqual({ devices, problems: [] })
      }),
      fuzzRuns(1500, 3),
    )
  }, within(3))
})
