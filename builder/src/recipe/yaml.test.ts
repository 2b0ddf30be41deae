/**
 * Hostile and odd YAML: every problem is INVALID_RECIPE with a path (a field, or
 * `<file>:<line>` for the document's own syntax). Each case here once broke something.
 */
import { describe, expect, it } from 'vitest'
import { BuildError } from '../util/errors'
import { parseRecipeYaml, readRecipeYaml, type RecipeProblem } from './load'

const VALID = `name: x
source: {url: "https://a.example/b.img.xz", sha256: "${'a'.repeat(64)}"}
arch: arm64
`

function problemsOf(text: string): RecipeProblem[] {
  try {
    readRecipeYaml(text, 'bad.yml')
  } catch (error) {
    expect(error).toBeInstanceOf(BuildError)
    expect((error as BuildError).code).toBe('INVALID_RECIPE')
    return ((error as BuildError).detail as { problems: RecipeProblem[] }).problems
  }
  throw new Error('no problem reported')
}

describe('recipe YAML that the reader refuses as a recipe problem', () => {
  it('an alias bomb (billion laughs) is INVALID_RECIPE at its line, not INTERNAL', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g'].entries()) {
      const previous = String.fromCharCode(97 + i)
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`)
    }
    const [problem] = problemsOf(levels.join('\n'))
    expect(problem).toEqual({ path: 'bad.yml:2', message: expect.stringContaining('aliases') as string })
  })

  it('an alias to an anchor that does not exist is INVALID_RECIPE at its line', () => {
    expect(problemsOf(`${VALID}description: *nowhere\n`)).toEqual([{ path: 'bad.yml:4', message: expect.stringContaining('*nowhere') as string }])
  })

  it('a document nested thousands of levels deep is refused before the parser recurses (it ended the process)', () => {
    // `- - - … x` and `[[[[…` overflow the yaml library's recursion; near the stack limit V8
    // failed to compile a regular expression and aborted the whole process (out of memory).
    for (const text of [`${'- '.repeat(5000)}x`, '['.repeat(20000), `${'{a: '.repeat(3000)}1`]) {
      const [problem] = problemsOf(text)
      expect(problem!.path).toMatch(/^bad\.yml:\d+$/)
      expect(problem!.message).toContain('nested more than')
    }
  })

  it('YAML 1.1 binary, set and timestamp values are refused at their field (they are not text)', () => {
    const yaml11 = `%YAML 1.1\n---\n${VALID}`
    expect(problemsOf(`${yaml11}files: [{target: /a, content: !!binary aGVsbG8=}]\n`)).toEqual([
      { path: 'files[0].content', message: expect.stringContaining('binary') as string },
    ])
    expect(problemsOf(`${yaml11}packages: !!set {a, b}\n`)).toEqual([{ path: 'packages', message: expect.stringContaining('set') as string }])
    expect(problemsOf(`${yaml11}description: !!timestamp 2024-01-01\n`)).toEqual([
      { path: 'description', message: expect.stringContaining('date') as string },
    ])
  })

  it('a YAML 1.2 explicit !!binary tag stays text (the library would decode it into bytes)', () => {
    expect(readRecipeYaml(`${VALID}description: !!binary aGVsbG8=\n`)).toMatchObject({ description: 'aGVsbG8=' })
  })

  it('a mapping key that is itself a list or mapping is refused at its line (not turned into "[ a ]")', () => {
    expect(problemsOf(`${VALID}? [a, b]\n: 1\n`)).toEqual([{ path: 'bad.yml:4', message: expect.stringContaining('key') as string }])
  })

  it('a __proto__ key is an ordinary unknown field, not a prototype', () => {
    const data = readRecipeYaml(`${VALID}__proto__: {sudo: true}\n`) as Record<string, unknown>
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype)
    expect(Object.keys(data)).toContain('__proto__')
  })
})

/** Found by recipe-fuzz.test.ts: each input once gave a problem without a path. */
describe('fuzz regressions', () => {
  const problemsOfRecipe = (text: string): RecipeProblem[] => {
    const error = (() => {
      try {
        parseRecipeYaml(text, 'bad.yml')
      } catch (caught) {
        return caught as BuildError
      }
      throw new Error('no problem reported')
    })()
    expect(error.code).toBe('INVALID_RECIPE')
    return (error.detail as { problems: RecipeProblem[] }).problems
  }

  it('": " (an empty key at the top) is an unknown field at [""], not at ""', () => {
    expect(problemsOfRecipe(': ')).toContainEqual({ path: '[""]', message: 'unknown field ""' })
  })

  it('an empty or odd key inside a section keeps a readable path', () => {
    expect(problemsOfRecipe(`${VALID}ssh: {"": 1, "a.b": 2, "x y": 3}\n`)).toEqual([
      { path: 'ssh[""]', message: 'unknown field ""' },
      { path: 'ssh["a.b"]', message: 'unknown field "a.b"' },
      { path: 'ssh["x y"]', message: 'unknown field "x y"' },
    ])
  })
})
