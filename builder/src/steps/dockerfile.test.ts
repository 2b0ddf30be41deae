import { spawnSync } from 'node:child_process'
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
  it('runs the plan in one RUN, each step byte for byte in its own sh -ec after its marker', () => {
    const { text, steps, planSteps } = generateDockerfile('orchard-source:abc', PLAN)
    const lines = text.trimEnd().split('\n')
    expect(lines[0]).toBe('FROM orchard-source:abc AS orchard-source')
    expect(lines[1]).toMatch(/^ENV PATH="\/usr\/local\/sbin:.*" HOME="\/root" LANG="C.UTF-8" DEBIAN_FRONTEND="noninteractive"$/)
    // Exec form; the script, run by a real sh, prints each marker and runs each step's text exactly.
    const [shell, flags, script] = JSON.parse(lines[2]!.replace(/^RUN /, '')) as string[]
    expect([shell, flags]).toEqual(['/bin/sh', '-ec'])
    const traced = spawnSync('/bin/sh', ['-ec', script!.replaceAll('/bin/sh -ec', 'printf "%s\\n---\\n"')], { encoding: 'utf8' })
    expect(traced.stdout).toBe(`::orchard-step::0\ntouch /.prepared\n---\n::orchard-step::1\napt-get update\n---\n::orchard-step::2\n${PLAN.steps[1]!.script}\n---\n`)
    expect(planSteps).toEqual(['prepare the build', 'apt-get update', 'quotes and lines'])
    expect(JSON.parse(lines[4]!.replace(/^RUN /, ''))).toEqual(['/bin/sh', '-ec', 'rm /.prepared'])
    expect(lines).toHaveLength(5) // FROM, ENV, the plan, USER root, the finish
    expect([...steps]).toEqual([
      [3, 'prepare the build'],
      [5, 'finish the build'],
    ])
  })

  it('stops at the first failing step with its exit code, and steps do not share a shell', () => {
    const plan = { ...PLAN, prepare: { name: 'p', script: 'cd /tmp; X=1' }, steps: [{ name: 'a', script: 'test "$(pwd)" = / && test -z "$X"' }, { name: 'b', script: 'exit 7' }, { name: 'c', script: 'echo never' }] }
    const script = (JSON.parse(generateDockerfile('x', plan).text.split('\n')[2]!.replace(/^RUN /, '')) as string[])[2]!
    const result = spawnSync('/bin/sh', ['-ec', script], { encoding: 'utf8', cwd: '/' })
    expect(result.status).toBe(7)
    expect(result.stdout).toBe('::orchard-step::0\n::orchard-step::1\n::orchard-step::2\n')
  })

  it("appends the user's Dockerfile after the plan and counts its instructions", () => {
    const user = '# mine\nFROM orchard-source\nRUN apt-get update \\\n  && apt-get install -y sl\n\nCOPY a /a\n'
    const { text, steps } = generateDockerfile('base', PLAN, user)
    expect(text).toContain('FROM orchard-source\nRUN apt-get update \\\n  && apt-get install -y sl')
    // 3 of ours, 3 of theirs, then USER root (7) and the finish (8).
    expect(steps.get(8)).toBe('finish the build')
    expect(steps.has(4)).toBe(false)
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
