/**
 * ESLint rule `orchard/layering`: folder = process, and each folder imports only what its
 * process may load (see docs/ARCHITECTURE.md, "Conventions"). Resolves relative imports and
 * the import aliases (ALIASES) to project folders and checks them, plus `electron`, Node
 * built-ins and, for the contract, any package but zod.
 */
import { builtinModules } from 'node:module'
import path from 'node:path'

const NODE_BUILTINS = new Set(builtinModules)
// A sandboxed preload may require only these (and `electron`).
const SANDBOX_PRELOAD_BUILTINS = new Set(['events', 'timers', 'url'])

/** tsconfig.base.json's `paths`: an import starting with the key names a file under the folder. */
export const ALIASES = { '@common/': 'electron/common/' }

/**
 * Each layer: which project folders it may import from, and which modules it may load.
 * `dir` is a folder, or a module without its extension; `partOf`: whoever may import
 * that layer may import this one too.
 */
export const LAYERS = [
  // The contract may use the builder's vocabulary (the names and shapes both share) and no
  // other builder file: the one exception to "common imports only itself and zod".
  { dir: 'electron/common', may: ['electron/common', 'builder/src/vocabulary'], electron: false, node: false, packages: ['zod', 'vitest'] },
  { dir: 'electron/core', may: ['electron/common', 'electron/core', 'builder'], electron: false, node: true },
  { dir: 'electron/bridge', may: ['electron/common', 'electron/core', 'electron/bridge'], electron: false, node: true },
  { dir: 'electron/writer', may: ['electron/common', 'electron/writer', 'builder'], electron: false, node: true },
  { dir: 'electron/main', may: ['electron/common', 'electron/core', 'electron/main'], electron: true, node: true },
  { dir: 'electron/preload', may: ['electron/common', 'electron/preload'], electron: true, node: 'sandbox' },
  { dir: 'renderer', may: ['renderer', 'electron/common'], electron: false, node: false },
  // Test-only code (QEMU harness, pipeline imitation, disk tools, test servers): may use the
  // builder, but nothing shipped may import it (only tests, which belong to no layer).
  { dir: 'builder/src/testing', may: ['builder', 'builder/src/testing'], electron: false, node: true },
  // Shared with the contract, so as bare as it: zod and nothing else.
  { dir: 'builder/src/vocabulary', partOf: 'builder', may: [], electron: false, node: false, packages: ['zod', 'vitest'] },
  { dir: 'builder', may: ['builder'], electron: false, node: true },
]

// Pure files (no imports at all) that every layer may import, so that one definition serves
// the builder, the app and the page: the byte formatter. They themselves may import nothing.
export const SHARED_PURE_FILES = ['builder/src/util/bytes.ts']

const toPosix = (relativePath) => relativePath.split(path.sep).join('/')
const isSharedPure = (relativePath) => SHARED_PURE_FILES.some((file) => [file, file.replace(/\.ts$/, '')].includes(toPosix(relativePath)))

function layerOf(relativePath) {
  const normalized = toPosix(relativePath)
  const module = normalized.replace(/\.[cm]?[jt]sx?$/, '')
  return LAYERS.find((layer) => module === layer.dir || normalized.startsWith(`${layer.dir}/`))
}

/** The absolute path a relative or aliased specifier names; null for a package. */
function projectTarget(fromFile, specifier, projectRoot) {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return path.resolve(path.dirname(fromFile), specifier)
  const alias = Object.keys(ALIASES).find((prefix) => specifier.startsWith(prefix))
  return alias ? path.join(projectRoot, ALIASES[alias], specifier.slice(alias.length)) : null
}

function packageName(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

// Tests are no process of their own: they run in Node and may reach any folder for fixtures.
const isTest = (file) => /\.test\.tsx?$/.test(file)

/** Why `specifier` may not be imported from a file in `layer`, or null when it may. */
export function violation(layer, fromFile, specifier, projectRoot) {
  const test = isTest(fromFile)
  if (isSharedPure(path.relative(projectRoot, fromFile))) return `${toPosix(path.relative(projectRoot, fromFile))} is shared with every layer and may import nothing`
  const absolute = projectTarget(fromFile, specifier, projectRoot)
  if (absolute) {
    if (test) return null
    const target = path.relative(projectRoot, absolute)
    if (isSharedPure(target)) return null
    const targetLayer = layerOf(target)
    if (!targetLayer) return target.startsWith('..') ? `${layer.dir} may not import from outside the project` : null
    const allowed = layer.may.includes(targetLayer.dir) || (targetLayer.partOf !== undefined && layer.may.includes(targetLayer.partOf))
    return allowed ? null : `${layer.dir} may not import from ${targetLayer.dir}`
  }
  const name = packageName(specifier)
  if (name === 'electron') return layer.electron ? null : `only electron/main and electron/preload may import "electron"`
  const builtin = specifier.startsWith('node:') || NODE_BUILTINS.has(name)
  if (builtin && test) return null
  if (builtin) {
    const bare = specifier.replace(/^node:/, '')
    if (layer.node === true) return null
    if (layer.node === 'sandbox' && SANDBOX_PRELOAD_BUILTINS.has(bare)) return null
    return `${layer.dir} may not import the Node built-in "${specifier}"`
  }
  if (layer.packages && !test && !layer.packages.includes(name)) {
    return `${layer.dir} may import only ${layer.packages.join(', ')}, not "${specifier}"`
  }
  return null
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the folder = process import boundaries' },
    schema: [],
    messages: { layering: 'Layering: {{why}}.' },
  },
  create(context) {
    const projectRoot = context.cwd
    const file = context.filename
    const layer = layerOf(path.relative(projectRoot, file))
    if (!layer) return {}
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return
      const why = violation(layer, file, node.value, projectRoot)
      if (why) context.report({ node, messageId: 'layering', data: { why } })
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node.arguments[0])
      },
    }
  },
}
