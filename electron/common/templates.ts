/**
 * Script templates: `{{NAME}}` is replaced by the device's variable NAME (HOSTNAME, STATIC_IP,
 * …; lowercase names find their UPPER_SNAKE variable), `{{n}}` by the device's number in
 * the table, and `{{n:03}}` pads a number with zeros to 3 digits. Pure, so the renderer's
 * live preview and what is written to a card come from the same function.
 *
 * Values come from a devices CSV and the scripts run as root at boot, so a value is always
 * text, never shell code: `{{NAME}}` is quoted for where it stands (shell-context.ts): a
 * plain word becomes '…' (`'` as '\''), inside "…" or a here-document `\ $ ` "` get a
 * backslash, inside '…' a `'` becomes '\''. `{{raw:NAME}}` puts the value in as it is, for
 * the rare template that means to run it. Where the quoting cannot be vouched for (inside
 * `…`, a number expected in $(( )), a value with a line break) the placeholder is left
 * as written and reported as a problem.
 */
import { shellContexts, type ShellContext } from './shell-context'

export interface TemplateProblem {
  /** The placeholder as written, e.g. `{{SITE}}`. */
  placeholder: string
  message: string
}

export interface Rendered {
  text: string
  problems: TemplateProblem[]
}

// {{ [raw:] NAME [:format] }}; `raw` followed by a name, so {{raw:03}} stays a variable `raw` padded.
const PLACEHOLDER = /\{\{\s*(?:(raw)\s*:\s*(?=[A-Za-z_]))?([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*([^}\s]*)\s*)?\}\}/g

interface Placeholder {
  text: string
  index: number
  raw: boolean
  name: string
  format: string | undefined
}

const placeholders = (text: string): Placeholder[] =>
  [...text.matchAll(PLACEHOLDER)].map((m) => ({ text: m[0], index: m.index, raw: m[1] !== undefined, name: m[2]!, format: m[3] }))

/** A shell script for one device: every `{{NAME}}` quoted for its place, `{{raw:NAME}}` as it is. */
export function renderTemplate(text: string, variables: Record<string, string>, n?: number): Rendered {
  const found = placeholders(text)
  const contexts = shellContexts(text, found.map((p) => ({ index: p.index, length: p.text.length })))
  return substitute(text, found, variables, n, (p, value, i) => (p.raw ? { value } : quoteFor(contexts[i]!, p, value)))
}

/** Plain text such as a hostname pattern: values as they are. */
export function renderText(text: string, variables: Record<string, string>, n?: number): Rendered {
  return substitute(text, placeholders(text), variables, n, (_p, value) => ({ value }))
}

type Quote = (p: Placeholder, value: string, i: number) => { value: string } | { problem: string }

function substitute(text: string, found: Placeholder[], variables: Record<string, string>, n: number | undefined, quote: Quote): Rendered {
  const problems: TemplateProblem[] = []
  let out = ''
  let at = 0
  found.forEach((p, i) => {
    out += text.slice(at, p.index)
    at = p.index + p.text.length
    const problem = (message: string) => {
      problems.push({ placeholder: p.text, message: `${p.text}: ${message}` })
      out += p.text
    }
    const value = lookup(p.name, variables, n)
    if (value === undefined) return problem(`no variable ${p.name === 'n' ? 'n (the device number)' : p.name.toUpperCase()} for this device`)
    const padded = p.format === undefined ? value : pad(value, p.format)
    if (padded === null) return problem(`the format "${p.format}" is not understood (use :03 to pad a number with zeros to 3 digits)`)
    if (/[\r\n\0]/.test(padded)) return problem(`the value of ${p.name.toUpperCase()} holds a line break or NUL, which a script line cannot hold`)
    const quoted = quote(p, padded, i)
    if ('problem' in quoted) return problem(quoted.problem)
    out += quoted.value
  })
  return { text: out + text.slice(at), problems }
}

const backslashed = (value: string, special: RegExp) => value.replace(special, '\\$&')

function quoteFor(context: ShellContext, p: Placeholder, value: string): { value: string } | { problem: string } {
  const raw = `{{raw:${p.name}${p.format === undefined ? '' : `:${p.format}`}}}`
  switch (context.kind) {
    case 'word':
      return { value: `'${value.replaceAll("'", `'\\''`)}'` }
    case 'single':
      return { value: value.replaceAll("'", `'\\''`) }
    case 'double':
      return { value: backslashed(value, /[\\$`"]/g) }
    case 'comment':
      return { value }
    case 'heredoc':
      if (value.includes(context.delimiter)) return { problem: `the value holds the here-document's end word ${context.delimiter}` }
      return { value: context.expanding ? backslashed(value, /[\\$`]/g) : value }
    case 'arithmetic':
      return /^-?\d+$/.test(value) ? { value } : { problem: `inside $(( )) only a number fits, and the value is not one (${raw} puts it in as it is)` }
    case 'backtick':
      return { problem: `inside \`…\` a value cannot be quoted safely: use $(…) instead (or ${raw} to put it in as it is)` }
  }
}

function lookup(name: string, variables: Record<string, string>, n: number | undefined): string | undefined {
  if (name === 'n') return n === undefined ? undefined : String(n)
  return variables[name] ?? variables[name.toUpperCase()]
}

/** `03` → zero-padded to 3 digits (numbers only); `3` → space-free minimum width with zeros as well. */
function pad(value: string, format: string): string | null {
  const match = /^0?(\d{1,2})$/.exec(format)
  if (!match) return null
  if (!/^\d+$/.test(value)) return value
  return value.padStart(Number(match[1]), '0')
}

/** The hostnames a pattern like `sensor-{{n:03}}` gives for devices `first` … `first + count - 1`. */
export function expandPattern(pattern: string, first: number, count: number): Rendered[] {
  return Array.from({ length: count }, (_, i) => renderText(pattern, {}, first + i))
}

/** The `{{…}}` names a template uses (for showing which variables a device must have). */
export function templateVariables(text: string): string[] {
  return [...new Set(placeholders(text).map((p) => p.name))]
}
