/**
 * Recipe YAML as plain data (strings, booleans, null, lists, mappings), not yet validated.
 * Every way YAML can go wrong is an INVALID_RECIPE with a path: the field, or
 * `<file>:<line>` for the document's own syntax. Nothing here throws anything else.
 */
import YAML, { isCollection, Parser, type Document } from 'yaml'
import { BuildError } from '../util/errors'

export interface RecipeProblem {
  path: string
  message: string
}

/** Far deeper than any recipe (its deepest field is 4 levels), far shallower than what overflows the parser's recursion. */
export const MAX_DEPTH = 64
/** How many alias uses toJS resolves before calling it a bomb (the yaml library's own default). */
const MAX_ALIASES = 100

export function describeProblems(problems: RecipeProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('\n')
}

function refuse(heading: string, problems: RecipeProblem[]): never {
  throw new BuildError('INVALID_RECIPE', `${heading}:\n${describeProblems(problems)}`, { problems })
}

const lineOf = (text: string, offset: number) => text.slice(0, Math.max(0, offset)).split('\n').length

export function readRecipeYaml(text: string, fileName = 'recipe'): unknown {
  checkDepth(text, fileName)
  const document = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true, resolveKnownTags: false })
  if (document.errors.length) {
    // Later syntax errors are mostly echoes of the first: report that one.
    const [first] = document.errors
    const more = document.errors.length > 1 ? ` (and ${document.errors.length - 1} more after it)` : ''
    const message = `${first!.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}${more}`
    refuse('The recipe is not valid YAML', [{ path: `${fileName}:${first!.linePos?.[0]?.line ?? lineOf(text, first!.pos[0])}`, message }])
  }
  checkNodes(document, text, fileName)
  let data: unknown
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIASES })
  } catch (error) {
    // The yaml library throws a ReferenceError for an alias bomb ("Excessive alias count").
    refuse('The recipe is not valid YAML', [{ path: `${fileName}:${firstAliasLine(document, text)}`, message: aliasMessage(error) }])
  }
  const problems = notPlainData(data)
  if (problems.length) refuse('The recipe is invalid', problems)
  return data
}

function aliasMessage(error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error)
  return /alias count/i.test(reason)
    ? `its aliases expand to more than ${MAX_ALIASES} copies (an alias bomb?): write the values out`
    : `cannot be read: ${reason}`
}

/**
 * The CST parser keeps its own stack (no recursion), so it measures nesting safely; the
 * composer and toJS recurse, and near the stack limit V8 has aborted the whole process.
 */
function checkDepth(text: string, fileName: string): void {
  const collections = new Set(['block-map', 'block-seq', 'flow-collection'])
  for (const root of new Parser().parse(text)) {
    const pending: { token: unknown; depth: number }[] = [{ token: root, depth: 0 }]
    while (pending.length) {
      const { token, depth } = pending.pop()!
      if (!token || typeof token !== 'object') continue
      const node = token as { type?: string; offset?: number; value?: unknown; key?: unknown; items?: { key?: unknown; value?: unknown }[] }
      const level = collections.has(node.type ?? '') ? depth + 1 : depth
      if (level > MAX_DEPTH) {
        refuse('The recipe is not valid YAML', [{ path: `${fileName}:${lineOf(text, node.offset ?? 0)}`, message: `lists or mappings are nested more than ${MAX_DEPTH} levels deep` }])
      }
      for (const child of [node.value, node.key, ...(node.items ?? []).flatMap((item) => [item.key, item.value])]) pending.push({ token: child, depth: level })
    }
  }
}

/** Keys must be text; unquoted numbers are read as their text (no recipe field is a number). */
function checkNodes(document: Document, text: string, fileName: string): void {
  const problems: RecipeProblem[] = []
  YAML.visit(document, {
    Pair(_key, pair) {
      if (isCollection(pair.key)) {
        const offset = pair.key.range?.[0] ?? 0
        problems.push({ path: `${fileName}:${lineOf(text, offset)}`, message: 'a mapping key is a list or mapping: keys are field names' })
      }
    },
    Alias(_key, alias) {
      if (!alias.resolve(document)) {
        problems.push({ path: `${fileName}:${lineOf(text, alias.range?.[0] ?? 0)}`, message: `the alias *${alias.source} names no anchor before it` })
      }
    },
    Scalar(_key, node) {
      // An unquoted 12345678 passphrase or 0644 mode is text: YAML's number reading would drop leading zeros.
      if ((typeof node.value === 'number' || typeof node.value === 'bigint') && node.source) node.value = node.source
    },
  })
  if (problems.length) refuse('The recipe is not valid YAML', problems)
}

function firstAliasLine(document: Document, text: string): number | string {
  let line: number | string = '?'
  YAML.visit(document, {
    Alias(_key, alias) {
      line = lineOf(text, alias.range?.[0] ?? 0)
      return YAML.visit.BREAK
    },
  })
  return line
}

/**
 * `users[0].sshKeys[1]` style, the way a person finds it in the YAML; a key that is not a
 * plain name (empty, dots, spaces) is quoted, `ssh["a.b"]`, so every path names one place.
 */
export function formatPath(segments: PropertyKey[]): string {
  return segments.reduce<string>((out, segment) => {
    if (typeof segment === 'number') return `${out}[${segment}]`
    const key = String(segment)
    if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${out}[${JSON.stringify(key)}]`
    return out ? `${out}.${key}` : key
  }, '')
}

/** What YAML 1.1 tags (%YAML 1.1 documents) make of text: refused at the field that holds it. */
function notPlainData(root: unknown): RecipeProblem[] {
  const problems: RecipeProblem[] = []
  const pending: { value: unknown; path: PropertyKey[] }[] = [{ value: root, path: [] }]
  while (pending.length) {
    const { value, path } = pending.pop()!
    const where = formatPath(path) || '(recipe)'
    if (value === null || ['string', 'boolean'].includes(typeof value)) continue
    if (Array.isArray(value)) value.forEach((item, index) => pending.push({ value: item, path: [...path, index] }))
    else if (value instanceof Uint8Array) problems.push({ path: where, message: 'is binary data (!!binary): recipe fields are text' })
    else if (value instanceof Date) problems.push({ path: where, message: 'is a date (!!timestamp): write it as quoted text' })
    else if (value instanceof Set || value instanceof Map) problems.push({ path: where, message: `is a YAML ${value instanceof Set ? 'set (!!set)' : 'ordered map'}: write a list or mapping` })
    else if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
      for (const [key, item] of Object.entries(value)) pending.push({ value: item, path: [...path, key] })
    } else problems.push({ path: where, message: `is not text, a list or a mapping (${typeof value})` })
  }
  return problems
}
