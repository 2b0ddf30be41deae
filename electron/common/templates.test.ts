import { describe, expect, it } from 'vitest'
import { expandPattern, renderTemplate, templateVariables } from './templates'

describe('renderTemplate', () => {
  it('replaces variables, lowercase names finding their UPPER_SNAKE variable, and the device number', () => {
    const result = renderTemplate('echo {{HOSTNAME}} {{ static_ip }} #{{n}}', { HOSTNAME: 'sensor-002', STATIC_IP: '10.0.0.12/24' }, 2)
    expect(result).toEqual({ text: 'echo sensor-002 10.0.0.12/24 #2', problems: [] })
  })

  it('pads numbers with zeros', () => {
    expect(renderTemplate('s-{{n:03}}', {}, 7).text).toBe('s-007')
    expect(renderTemplate('{{ID:4}}', { ID: '12' }).text).toBe('0012')
    expect(renderTemplate('{{ID:03}}', { ID: 'ab' }).text).toBe('ab')
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
