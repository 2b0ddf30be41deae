/** Primitive property types (String, Integer, Boolean …), in the forms CloudFormation accepts for each. */
import type { Report } from './template'

export function checkPrimitive(value: unknown, type: string, at: string, report: Report): void {
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  const bad = (what: string) => report(at, `expected ${what}, got ${describe(value)}`)
  switch (type) {
    case 'String':
    case 'Timestamp':
      if (!scalar) bad(`a ${type}`)
      return
    case 'Integer':
    case 'Long':
      if (!(typeof value === 'number' ? Number.isInteger(value) : typeof value === 'string' && /^-?\d+$/.test(value))) bad(`an ${type}`)
      return
    case 'Double':
      if (!(typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))))) bad('a Double')
      return
    case 'Boolean':
      if (!(typeof value === 'boolean' || value === 'true' || value === 'false')) bad('a Boolean')
      return
    case 'Json':
      if (value === null || value === undefined) bad('Json')
      return
  }
}

/** A value's kind, for messages: `a list`, `a mapping`, `string "x"`. */
export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'a mapping'
  return `${typeof value} ${JSON.stringify(value)}`
}
