/**
 * Recipe YAML fuzzed (fast-check, bounded in time: testing/fuzz.ts): random text and bytes,
 * random YAML built from its syntax, and valid recipes (every feature's `example`) with
 * values, types and keys mutated. Whatever comes in, reading either gives a recipe or
 * throws INVALID_RECIPE whose every problem has a path: never another error (the CLI and
 * the app would call that INTERNAL), never a crash.
 */
import fc from 'fast-check'
import YAML from 'yaml'
import { afterAll, describe, expect, it } from 'vitest'
import { FEATURES } from '../features/registry'
import { fuzzRuns, fuzzSummary } from '../testing/fuzz'
import { BuildError } from '../util/errors'
import { parseRecipe, parseRecipeYaml, recipeHash, type RecipeProblem } from './load'
import { referencedFiles } from './recipe-files'
import { armWork } from './schema'

const BASE = { name: 'fuzz', source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) }, arch: 'arm64' }

/** Every feature's example in one recipe (`system` merged), valid as it stands. */
function fullRecipe(): Record<string, unknown> {
  const recipe: Record<string, unknown> = structuredClone(BASE)
  for (const { example } of FEATURES) {
    for (const [key, value] of Object.entries(structuredClone(example))) {
      recipe[key] = key === 'system' ? { ...(recipe.system as object), ...(value as object) } : value
    }
  }
  return recipe
}

const counts: Record<string, number> = {}
// Each property stops after its time limit (testing/fuzz.ts); the test's own timeout leaves room for that.
const SCALE = Number(process.env.ORCHARD_FUZZ_SCALE ?? '1') || 1
const within = (seconds: number) => seconds * 1000 * SCALE + 20_000
afterAll(() => fuzzSummary('recipe YAML', counts))

/** The property every input must keep. */
function readsOrRefusesWithPaths(read: () => unknown): void {
  let recipe: unknown
  try {
    recipe = read()
  } catch (error) {
    if (!(error instanceof BuildError)) throw new Error(`not a recipe problem: ${String(error)}`, { cause: error })
    expect(error.code).toBe('INVALID_RECIPE')
    const problems = (error.detail as { problems?: RecipeProblem[] } | undefined)?.problems
    expect(problems?.length).toBeGreaterThan(0)
    for (const problem of problems!) {
      expect(typeof problem.path === 'string' && problem.path.length > 0, `a problem without a path: ${JSON.stringify(problem)}`).toBe(true)
      expect(problem.message.length).toBeGreaterThan(0)
    }
    return
  }
  // What every build does first with a recipe must not throw either.
  const valid = recipe as ReturnType<typeof parseRecipe>
  recipeHash(valid)
  referencedFiles(valid)
  armWork(valid)
}

const count = (name: string) => {
  counts[name] = (counts[name] ?? 0) + 1
}

// Pieces of YAML syntax, including the ones that broke the reader before (anchors and
// aliases, tags, directives, complex keys, deep nesting).
const TOKENS = ['- ', ': ', '? ', '&a ', '*a', '&b ', '*b', '!!binary ', '!!set ', '!!omap ', '!!timestamp ', '!!str ', '!!int ', '!!map ', '!!seq ', '!local ', '%YAML 1.1\n', '%TAG ! tag:x,2000:\n', '---\n', '...\n', '[', ']', '{', '}', ',', '"', "'", '|', '>-', '#', '\n', '  ', '\t', 'x', '0x1F', '012', '.inf', '~', 'null', 'true', 'y', '<<: ', '__proto__', 'name', 'users', 'files', 'source', 'aGVsbG8=', '2024-01-01', '\\', '\r\n', '\uFEFF', '\0']
const yamlish = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((parts) => parts.join(''))

describe('recipe YAML, fuzzed', () => {
  it('random text: a recipe or INVALID_RECIPE with paths', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        count('random text')
        readsOrRefusesWithPaths(() => parseRecipeYaml(text))
      }),
      fuzzRuns(400, 3),
    )
  }, within(3))

  it('random bytes read as UTF-8: the same', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        count('random bytes')
        readsOrRefusesWithPaths(() => parseRecipeYaml(Buffer.from(bytes).toString('utf8')))
      }),
      fuzzRuns(400, 3),
    )
  }, within(3))

  it('random YAML syntax (anchors, tags, directives, flow and block): the same', () => {
    fc.assert(
      fc.property(yamlish, (text) => {
        count('YAML syntax')
        readsOrRefusesWithPaths(() => parseRecipeYaml(text))
      }),
      fuzzRuns(600, 4),
    )
  }, within(4))

  it('random YAML documents of any shape: the same', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        count('YAML documents')
        readsOrRefusesWithPaths(() => parseRecipeYaml(YAML.stringify(value)))
      }),
      fuzzRuns(400, 3),
    )
  }, within(3))
})

/** A path to every value in `data` (keys and indexes), the root included. */
function pathsOf(data: unknown, at: (string | number)[] = []): (string | number)[][] {
  const here = [at]
  if (Array.isArray(data)) return [...here, ...data.flatMap((item, index) => pathsOf(item, [...at, index]))]
  if (data && typeof data === 'object') return [...here, ...Object.entries(data).flatMap(([key, value]) => pathsOf(value, [...at, key]))]
  return here
}

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'rename'; key: string } | { kind: 'add'; key: string; value: unknown }

const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('', ' ', '..', '../../etc/shadow', '/etc/passwd', '{{serial}}', '0644', '00012345', 'a'.repeat(300), '$6$x$y', '\n', 'ssh-ed25519 AAAA', '-x', 'é', '\u0000', '[]', '{}', 'true'),
  fc.constantFrom(null, true, false, 0, -1, 1e308, [], {}),
)
const oddKey = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '<<', '', ' ', 'name ', 'Name', 'allowFilesOutside'))
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  oddValue.map((value) => ({ kind: 'set' as const, value })),
  fc.constant({ kind: 'delete' as const }),
  oddKey.map((key) => ({ kind: 'rename' as const, key })),
  fc.tuple(oddKey, oddValue).map(([key, value]) => ({ kind: 'add' as const, key, value })),
)

function mutate(data: Record<string, unknown>, at: (string | number)[], change: Mutation): unknown {
  if (at.length === 0) return change.kind === 'set' ? change.value : data
  const parent = at.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], data) as Record<string | number, unknown>
  const key = at.at(-1)!
  if (change.kind === 'set') parent[key] = change.value
  else if (change.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1)
    else delete parent[key]
  } else if (change.kind === 'rename' && !Array.isArray(parent)) {
    const value = parent[key]
    delete parent[key]
    Object.defineProperty(parent, change.key, { value, enumerable: true, writable: true, configurable: true })
  } else if (change.kind === 'add' && parent[key] && typeof parent[key] === 'object' && !Array.isArray(parent[key])) {
    Object.defineProperty(parent[key], change.key, { value: change.value, enumerable: true, writable: true, configurable: true })
  }
  return data
}

describe('valid recipes with values, types and keys mutated', () => {
  const valid = fullRecipe()
  const paths = pathsOf(valid)

  it('the unmutated recipe (every feature example) is valid', () => {
    expect(() => parseRecipe(valid)).not.toThrow()
  })

  it('mutated recipe data and its YAML: a recipe or INVALID_RECIPE with paths', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(paths.length - 1), mutation), { minLength: 1, maxLength: 4 }), (changes) => {
        count('mutated recipes')
        let data: unknown = structuredClone(valid)
        for (const [index, change] of changes) {
          const at = paths[index]!
          // A path a previous change removed is skipped.
          const exists = at.every((_key, depth) => {
            const node = at.slice(0, depth).reduce<unknown>((n, k) => (n as Record<string | number, unknown> | null)?.[k], data)
            return node !== null && typeof node === 'object' && Object.hasOwn(node, at[depth]!)
          })
          if (exists && data && typeof data === 'object') data = mutate(data as Record<string, unknown>, at, change)
        }
        readsOrRefusesWithPaths(() => parseRecipe(data))
        readsOrRefusesWithPaths(() => parseRecipeYaml(YAML.stringify(data)))
      }),
      fuzzRuns(500, 4),
    )
  }, within(4))
})
