/**
 * CSV injection (OWASP): a spreadsheet runs a cell starting `=`, `+`, `-`, `@`, tab or CR
 * as a formula. Exports prefix such a cell with a single quote, which spreadsheets show as
 * text. A cell already starting with `'` before one of those (or before another `'`) gets
 * one more, so `readNeutralised` can take exactly one off and every value reads back as it was.
 */
const NEEDS_QUOTE = /^(?:[=+\-@\t\r]|'[=+\-@\t\r'])/

export function neutraliseFormula(value: string): string {
  return NEEDS_QUOTE.test(value) ? `'${value}` : value
}

/** The value `neutraliseFormula` was given: a leading `'` before a formula character or another `'` is dropped. */
export function readNeutralised(cell: string): string {
  return cell.startsWith("'") && NEEDS_QUOTE.test(cell.slice(1)) ? cell.slice(1) : cell
}
