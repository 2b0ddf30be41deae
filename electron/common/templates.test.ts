import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expandPattern, renderTemplate, renderText, templateVariables } from './templates'

describe('renderTemplate', () => {
  it('replaces variables, lowercase names finding their UPPER_SNAKE variable, and the device number, each quoted as a word', () => {
    const result = renderTemplate('echo {{HOSTNAME}} {{ static_ip }} {{n}} # device {{n}}', { HOSTNAME: 'sensor-002', STATIC_IP: '10.0.0.12/24' }, 2)
    expect(result).toEqual({ text: "echo 'sensor-002' '10.0.0.12/24' '2' # device 2", problems: [] })
  })

  it('quotes for the place the placeholder stands: a word, "…", \'…\', a here-document, a comment', () => {
    const value = { V: `it's "$x" \\ \`` }
    expect(renderTemplate('echo {{V}}', value).text).toBe(`echo 'it'\\''s "$x" \\ \`'`)
    expect(renderTemplate('echo "v={{V}}"', value).text).toBe('echo "v=it\'s \\"\\$x\\" \\\\ \\`"')
    expect(renderTemplate("echo 'v={{V}}'", value).text).toBe(`echo 'v=it'\\''s "$x" \\ \`'`)
    expect(renderTemplate('cat <<EOF\n{{V}}\nEOF\n', value).text).toBe('cat <<EOF\nit\'s "\\$x" \\\\ \\`\nEOF\n')
    expect(renderTemplate("cat <<'EOF'\n{{V}}\nEOF\necho {{V}}\n", { V: '$x' }).text).toBe("cat <<'EOF'\n$x\nEOF\necho '$x'\n")
    expect(renderTemplate('true # {{V}}\necho {{V}}', { V: 'a b' }).text).toBe("true # a b\necho 'a b'")
  })

  it('follows $( ), ${ } and case patterns inside "…"', () => {
    expect(renderTemplate('echo "$(echo {{V}})"', { V: 'a;b' }).text).toBe(`echo "$(echo 'a;b')"`)
    expect(renderTemplate('echo "${X:-{{V}}}"', { V: 'a"b' }).text).toBe('echo "${X:-a\\"b}"')
    const withCase = 'echo "$(case $1 in a) echo {{V}} ;; esac) {{V}}"'
    expect(renderTemplate(withCase, { V: 'a;b' }).text).toBe(`echo "$(case $1 in a) echo 'a;b' ;; esac) a;b"`)
  })

  it('{{raw:NAME}} puts the value in as it is, format included', () => {
    expect(renderTemplate('{{raw:CMD}} {{CMD}} {{raw:n:03}}', { CMD: 'ls -l' }, 7)).toEqual({ text: "ls -l 'ls -l' 007", problems: [] })
    expect(templateVariables('{{raw:CMD}}')).toEqual(['CMD'])
  })

  it('refuses places it cannot quote for and values with a line break, leaving the placeholder', () => {
    const problem = (text: string, variables: Record<string, string>) => renderTemplate(text, variables, 1)
    expect(problem('echo `echo {{V}}`', { V: 'a' })).toEqual({
      text: 'echo `echo {{V}}`',
      problems: [{ placeholder: '{{V}}', message: '{{V}}: inside `…` a value cannot be quoted safely: use $(…) instead (or {{raw:V}} to put it in as it is)' }],
    })
    expect(problem('echo $(( {{V}} + 1 )) $(( {{n}} + 1 ))', { V: 'x;y' }).text).toBe('echo $(( {{V}} + 1 )) $(( 1 + 1 ))')
    expect(problem('echo {{V}}', { V: 'a\nreboot' }).problems[0]?.message).toBe('{{V}}: the value of V holds a line break or NUL, which a script line cannot hold')
    expect(problem('cat <<END\n{{V}}\nEND\n', { V: 'END' }).problems[0]?.message).toBe("{{V}}: the value holds the here-document's end word END")
  })

  it('pads numbers with zeros', () => {
    expect(renderText('s-{{n:03}}', {}, 7).text).toBe('s-007')
    expect(renderText('{{ID:4}}', { ID: '12' }).text).toBe('0012')
    expect(renderText('{{ID:03}}', { ID: 'ab' }).text).toBe('ab')
  })

  it('keeps an unknown placeholder and names it as a problem', () => {
    const result = renderTemplate('site={{SITE}}', { HOSTNAME: 'a' }, 1)
    expect(result.text).toBe('site={{SITE}}')
    expect(result.problems).toEqual([{ placeholder: '{{SITE}}', message: '{{SITE}}: no variable SITE for this device' }])
  })

  it('reports a format it does not understand', () => {
    expect(renderTemplate('{{n:x}}', {}, 1).problems[0]?.message).toMatch(/format "x" is not understood/)
  })

  it('leaves text without placeholders alone, including shell braces', () => {
    const script = 'for f in ${FILES}; do echo "$f"; done\n'
    expect(renderTemplate(script, {})).toEqual({ text: script, problems: [] })
  })
})

describe('expandPattern and templateVariables', () => {
  it('expands a hostname pattern', () => {
    expect(expandPattern('sensor-{{n:03}}', 9, 3).map((r) => r.text)).toEqual(['sensor-009', 'sensor-010', 'sensor-011'])
  })
  it('lists the names a template uses', () => {
    expect(templateVariables('{{A}} {{ b }} {{A}} {{n:03}}')).toEqual(['A', 'b', 'n'])
  })
})

// Hostile values (issue 14): a devices CSV cell lands in scripts that run as root at boot.
describe('renderTemplate runs hostile values as literal text', () => {
  const hostile = ['x$(touch "$MARK")', 'x`touch "$MARK"`', "it's; touch \"$MARK\"", 'a"b\\"; touch "$MARK"; echo "', '$MARK * ?', '-n']
  const run = (script: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'orchard-template-'))
    const mark = join(dir, 'pwned')
    try {
      const out = execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH, MARK: mark }, encoding: 'utf8', cwd: dir })
      return { out, pwned: existsSync(mark) }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  it.each(hostile)('%s: unquoted, in "…", in \'…\', in $(…) inside "…", and in a here-document', (value) => {
    const template = [
      'printf "%s|" {{SITE}}',
      'printf "%s|" "at {{SITE}} now"',
      "printf \"%s|\" 'at {{SITE}} now'",
      'printf "%s|" "$(printf "%s" {{SITE}})"',
      'printf "%s|" "$(case x in (x) printf "%s" {{SITE}} ;; esac)$(case x in x) printf "%s" {{SITE}} ;; esac)"',
      'cat <<EOF',
      '<{{SITE}}>',
      'EOF',
    ].join('\n')
    const rendered = renderTemplate(template, { SITE: value }, 1)
    expect(rendered.problems).toEqual([])
    expect(run(rendered.text)).toEqual({ out: `${value}|at ${value} now|at ${value} now|${value}|${value}${value}|<${value}>\n`, pwned: false })
  })
})
