/**
 * Where in a POSIX shell script a position sits, so a template value can be quoted for that
 * place: a plain word, inside "…", inside '…', in a comment, in a here-document. A small
 * lexer, not a parser: it follows quotes, backslashes, comments, $( ) and ${ } nesting, case
 * patterns and here-documents. Where it cannot vouch for the quoting (inside `…`, whose
 * backslash rules differ) it says so, and the template refuses rather than guess.
 */

export type ShellContext =
  | { kind: 'word' }
  | { kind: 'double' }
  | { kind: 'single' }
  | { kind: 'comment' }
  /** A here-document body: `expanding` unless its delimiter was quoted (<<'EOF'). */
  | { kind: 'heredoc'; expanding: boolean; delimiter: string }
  | { kind: 'backtick' }
  /** Inside $(( )): only a number fits. */
  | { kind: 'arithmetic' }

type Frame =
  | { kind: 'top'; parens: number; cases: number; closer: ')' | null }
  | { kind: 'double' }
  | { kind: 'backtick' }
  | { kind: 'brace'; inDouble: boolean }
  | { kind: 'heredoc'; expanding: boolean; delimiter: string; stripTabs: boolean }
  | { kind: 'arithmetic'; parens: number }

interface PendingHeredoc {
  delimiter: string
  expanding: boolean
  stripTabs: boolean
}

const OPERATOR_BEFORE_WORD = /[\s;&|()<>]/

/**
 * The context at each of `positions` (indices into `text`, e.g. where placeholders start;
 * each is skipped over as `skip[i]` characters of plain text, so a placeholder's own braces
 * never count as shell syntax).
 */
export function shellContexts(text: string, positions: { index: number; length: number }[]): ShellContext[] {
  const found = new Map<number, ShellContext>()
  const skips = new Map(positions.map((p) => [p.index, p.length]))
  const stack: Frame[] = [{ kind: 'top', parens: 0, cases: 0, closer: null }]
  const pending: PendingHeredoc[] = []
  const top = () => stack[stack.length - 1]!
  let i = 0
  let lineStart = true

  const contextOf = (frame: Frame): ShellContext => {
    switch (frame.kind) {
      case 'top':
        return { kind: 'word' }
      case 'double':
        return { kind: 'double' }
      case 'backtick':
        return { kind: 'backtick' }
      case 'brace':
        return frame.inDouble ? { kind: 'double' } : { kind: 'word' }
      case 'heredoc':
        return { kind: 'heredoc', expanding: frame.expanding, delimiter: frame.delimiter }
      case 'arithmetic':
        return { kind: 'arithmetic' }
    }
  }
  /** Opens a nested frame at i, `width` characters long (`$(`, `${`, `` ` ``). */
  const enter = (frame: Frame, width: number) => {
    stack.push(frame)
    i += width
  }
  /** What opens a nested frame in "…" and in an expanding here-document; false when nothing does. */
  const expansion = (c: string, next: string | undefined): boolean => {
    if (c === '$' && next === '(') enter({ kind: 'top', parens: 0, cases: 0, closer: ')' }, 2)
    else if (c === '$' && next === '{') enter({ kind: 'brace', inDouble: true }, 2)
    else if (c === '`') enter({ kind: 'backtick' }, 1)
    else return false
    return true
  }
  const inBacktick = () => stack.some((frame) => frame.kind === 'backtick')
  const record = (context: ShellContext) => {
    found.set(i, inBacktick() ? { kind: 'backtick' } : context)
    i += skips.get(i)!
  }

  while (i < text.length) {
    const frame = top()
    // A here-document line that is its delimiter ends it.
    if (frame.kind === 'heredoc' && lineStart) {
      const end = text.indexOf('\n', i)
      const line = text.slice(i, end === -1 ? text.length : end)
      const placeholderOnLine = [...skips.keys()].some((p) => p >= i && p < i + line.length)
      if (!placeholderOnLine && (frame.stripTabs ? line.replace(/^\t+/, '') : line) === frame.delimiter) {
        stack.pop()
        i += line.length + 1
        lineStart = true
        continue
      }
    }
    lineStart = false
    if (skips.has(i)) {
      record(contextOf(frame))
      continue
    }
    const c = text[i]!
    const next = text[i + 1]

    // $(( … )) before $( … ): an arithmetic expansion, wherever it is.
    if (c === '$' && next === '(' && text[i + 2] === '(' && frame.kind !== 'arithmetic' && !(frame.kind === 'heredoc' && !frame.expanding)) {
      stack.push({ kind: 'arithmetic', parens: 0 })
      i += 3
      continue
    }
    if (frame.kind === 'arithmetic') {
      if (c === '(') frame.parens++
      else if (c === ')' && frame.parens > 0) frame.parens--
      else if (c === ')' && next === ')') {
        stack.pop()
        i++
      }
      i++
      continue
    }

    if (frame.kind === 'heredoc') {
      if (frame.expanding && c === '\\') i += 2
      else if (!frame.expanding || !expansion(c, next)) i++
      if (c === '\n' || (c === '\\' && next === '\n')) lineStart = true
      continue
    }

    if (frame.kind === 'double') {
      if (c === '\\') i += 2
      else if (c === '"') {
        stack.pop()
        i++
      } else if (!expansion(c, next)) i++
      continue
    }

    if (frame.kind === 'brace' && c === '}') {
      stack.pop()
      i++
      continue
    }

    // top, backtick and ${ } words: the same quoting rules.
    if (c === '\\') {
      i += 2
      continue
    }
    if (c === "'") {
      i++
      while (i < text.length && text[i] !== "'") {
        if (skips.has(i)) record({ kind: 'single' })
        else i++
      }
      i++
      continue
    }
    if (c === '"') {
      stack.push({ kind: 'double' })
      i++
      continue
    }
    if (c === '`') {
      if (frame.kind === 'backtick') stack.pop()
      else stack.push({ kind: 'backtick' })
      i++
      continue
    }
    if (c === '$' && next === '(') {
      stack.push({ kind: 'top', parens: 0, cases: 0, closer: ')' })
      i += 2
      continue
    }
    if (c === '$' && next === '{') {
      stack.push({ kind: 'brace', inDouble: false })
      i += 2
      continue
    }
    const wordStart = i === 0 || OPERATOR_BEFORE_WORD.test(text[i - 1]!)
    if (c === '#' && wordStart) {
      while (i < text.length && text[i] !== '\n') {
        if (skips.has(i)) record({ kind: 'comment' })
        else i++
      }
      continue
    }
    if (frame.kind === 'top') {
      if (wordStart && /[a-z]/.test(c)) {
        const word = /^[a-z]+/.exec(text.slice(i))![0]
        const after = text[i + word.length]
        if (after === undefined || OPERATOR_BEFORE_WORD.test(after)) {
          if (word === 'case') frame.cases++
          if (word === 'esac' && frame.cases > 0) frame.cases--
        }
        i += word.length
        continue
      }
      if (c === '(') {
        frame.parens++
        i++
        continue
      }
      if (c === ')') {
        // Inside case … esac a lone ) ends a pattern, not the $( ).
        if (frame.parens > 0) frame.parens--
        else if (frame.cases === 0 && frame.closer === ')') stack.pop()
        i++
        continue
      }
    }
    if (c === '<' && next === '<' && text[i + 2] !== '<') {
      const heredoc = /^<<(-?)[ \t]*((?:[^\s;&|()<>'"\\]|'[^']*'|"[^"]*"|\\.)+)/.exec(text.slice(i))
      if (heredoc) {
        const word = heredoc[2]!
        pending.push({ delimiter: word.replace(/\\(.)|['"]/g, '$1'), expanding: !/['"\\]/.test(word), stripTabs: heredoc[1] === '-' })
        i += heredoc[0].length
        continue
      }
    }
    if (c === '\n' && pending.length) {
      // Bodies follow this line, in the order their << appeared; the last pushed is read first.
      for (const body of pending.reverse()) stack.push({ kind: 'heredoc', ...body })
      pending.length = 0
      lineStart = true
    }
    i++
  }
  return positions.map((p) => found.get(p.index) ?? { kind: 'word' })
}
