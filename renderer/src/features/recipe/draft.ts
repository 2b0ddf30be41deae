/**
 * The recipe as the form holds it: plain data in the recipe's own shape (docs/recipe.md),
 * edited by path. Empty fields are dropped before it becomes YAML, so an untouched
 * optional field never reaches the recipe.
 */
export type RecipeDraft = Record<string, unknown>

export const emptyDraft: RecipeDraft = { name: '', arch: 'arm64', source: { path: '', sha256: '' } }

/** `users[0].sshKeys[1]` (a problem's path) → `users.0.sshKeys.1` (the form's). */
export const fieldPath = (problemPath: string) => problemPath.replace(/\[(\d+)\]/g, '.$1')

const parts = (path: string) => path.split('.').filter(Boolean)

export function getAt(data: unknown, path: string): unknown {
  let node = data
  for (const part of parts(path)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return node
}

/** A copy with `value` at `path`, making objects (or arrays, for numeric parts) on the way. */
export function setAt<T>(data: T, path: string, value: unknown): T {
  const [head, ...rest] = parts(path)
  if (head === undefined) return value as T
  const container: Record<string, unknown> | unknown[] = Array.isArray(data) ? [...data] : { ...(data as Record<string, unknown> | undefined) }
  const child = (container as Record<string, unknown>)[head]
  const next = rest.length ? setAt(child ?? (/^\d+$/.test(rest[0]!) ? [] : {}), rest.join('.'), value) : value
  ;(container as Record<string, unknown>)[head] = next
  return container as T
}

/** Removes the item at `index` of the list at `path`. */
export function removeAt<T>(data: T, path: string, index: number): T {
  const list = getAt(data, path)
  return Array.isArray(list) ? setAt(data, path, list.filter((_, i) => i !== index)) : data
}

/** Drops empty strings, undefined, empty lists and objects left empty by that. */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((item) => item !== undefined)
    return items.length ? items : undefined
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [key, prune(item)] as const).filter(([, item]) => item !== undefined)
    return entries.length ? Object.fromEntries(entries) : undefined
  }
  if (value === '' || value === undefined) return undefined
  return value
}

/** `a, b c` → ['a', 'b', 'c'] (lists typed in one field: packages, groups, DNS servers). */
export const splitList = (text: string) => text.split(/[\s,]+/).filter(Boolean)

/** The folder a path is in (renderer code has no `path` module): `/a/b.yml` → `/a`. */
export function dirname(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
  return cut > 0 ? path.slice(0, cut) : cut === 0 ? path.slice(0, 1) : ''
}

export function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1)
}
