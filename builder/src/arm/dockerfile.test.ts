import { describe, expect, it } from 'vitest'
import { dockerfileInstructions, generateDockerfile } from './dockerfile'

const PLAN = {
  prepare: { name: 'prepare the build', script: 'touch /.prepared' },
  steps: [
    { name: 'apt-get update', script: 'apt-get update' },
    { name: 'quotes and lines', script: 'echo "it\'s $HOME" \\\n  > /etc/x\nprintf "%s\\n" done' },
  ],
  finish: { name: 'finish the build', script: 'rm /.prepared' },
}
const NOTHING = { ...PLAN, steps: [] }

describe('generateDockerfile', () => {
  it('runs each step of the plan byte for byte with sh -ec, numbered for the builder output', () => {
    const { text, steps } = generateDockerfile('orchard-source:abc', PLAN)
    const lines = text.trimEnd().split('\n')
    expect(lines[0]).toBe('FROM orchard-source:abc AS orchard-source')
    expect(lines[1]).toMatch(/^ENV PATH="\/usr\/local\/sbin:.*" HOME="\/root" LANG="C.UTF-8" DEBIAN_FRONTEND="noninteractive"$/)
    // Exec form: what sh receives parses back to the exact script.
    const run = (line: string) => JSON.parse(line.replace(/^RUN /, '')) as string[]
    expect(run(lines[3]!)).toEqual(['/bin/sh', '-ec', 'apt-get update'])
    expect(run(lines[4]!)).toEqual(['/bin/sh', '-ec', PLAN.steps[1]!.script])
    expect(run(lines[2]!)).toEqual(['/bin/sh', '-ec', 'touch /.prepared'])
    expect(run(lines[6]!)).toEqual(['/bin/sh', '-ec', 'rm /.prepared'])
    expect(lines).toHaveLength(7) // + USER root and the undo
    expect([...steps]).toEqual([
      [3, 'prepare the build'],
      [4, 'apt-get update'],
      [5, 'quotes and lines'],
      [7, 'finish the build'],
    ])
  })

  it("appends the user's Dockerfile after the plan and counts its instructions", () => {
    const user = '# mine\nFROM orchard-source\nRUN apt-get update \\\n  && apt-get install -y sl\n\nCOPY a /a\n'
    const { text, steps } = generateDockerfile('base', PLAN, user)
    expect(text).toContain('FROM orchard-source\nRUN apt-get update \\\n  && apt-get install -y sl')
    // 5 of ours, 3 of theirs, then USER root (9) and the undo (10).
    expect(steps.get(10)).toBe('finish the build')
    expect(steps.has(6)).toBe(false)
  })

  it('refuses a Dockerfile that does not start FROM orchard-source', () => {
    expect(() => generateDockerfile('base', NOTHING, 'FROM debian:bookworm\n')).toThrow(/first instruction must be "FROM orchard-source"/)
    expect(() => generateDockerfile('base', NOTHING, '# nothing\n')).toThrow(/FROM orchard-source/)
    expect(() => generateDockerfile('base', NOTHING, 'from orchard-source as built\nRUN true\n')).not.toThrow()
  })
})

describe('dockerfileInstructions', () => {
  it('skips comments and blank lines and joins continuations', () => {
    expect(dockerfileInstructions('# c\n\nFROM x\nRUN a \\\n  # inside\n  b\nCMD ["y"]\n')).toEqual(['FROM x', 'RUN a b', 'CMD ["y"]'])
  })
})
