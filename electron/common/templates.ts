/**
 * Script templates: `{{NAME}}` is replaced by the device's variable NAME (HOSTNAME, STATIC_IP,
 * …; lowercase names find their UPPER_SNAKE variable), `{{n}}` by the device's number in
 * the table, and `{{n:03}}` pads a number with zeros to 3 digits. Pure, so the renderer's
 * live preview and what is written to a card come from the same function.
 */

export interface TemplateProblem {
  /** The placeholder as written, e.g. `{{SITE}}`. */
  placeholder: string
  message: string
}

export interface Rendered {
  text: string
  problems: TemplateProblem[]
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*([^}\s]*)\s*)?\}\}/g

/** Variables available to a template: the device's own, plus its number `n`. */
export function renderTemplate(text: string, variables: Record<string, string>, n?: number): Rendered {
  const problems: TemplateProblem[] = []
  const out = text.replace(PLACEHOLDER, (placeholder, name: string, format: string | undefined) => {
    const value = lookup(name, variables, n)
    if (value === undefined) {
      problems.push({ placeholder, message: `${placeholder}: no variable ${name === 'n' ? 'n (the device number)' : name.toUpperCase()} for this device` })
      return placeholder
    }
    if (format === undefined) return value
    const padded = pad(value, format)
    if (padded === null) {
      problems.push({ placeholder, message: `${placeholder}: the format "${format}" is not understood (use :03 to pad a number with zeros to 3 digits)` })
      return placeholder
    }
    return padded
  })
  return { text: out, problems }
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
  return Array.from({ length: count }, (_, i) => renderTemplate(pattern, {}, first + i))
}

/** The `{{…}}` names a template uses (for showing which variables a device must have). */
export function templateVariables(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))]
}
