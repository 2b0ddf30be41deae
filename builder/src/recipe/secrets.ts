/**
 * Secrets, declared once by the features that own them (features/*.ts `secrets`): sealing,
 * the recipe's fingerprint, log/status redaction and the cloud's plaintext check all read
 * that one list.
 */
import { createHash } from 'node:crypto'
import type { FieldPath } from '../features/feature'
import { features } from '../features/registry'
import { canonicalJson } from '../util/hash'
import type { Recipe, SealedRecipe } from './schema'

export const SECRET_FIELDS = features.flatMap((feature) => feature.secrets ?? [])

/** The recipe with every plaintext secret replaced by its sealed form: nothing after this sees plaintext. */
export function sealRecipe(recipe: Recipe): SealedRecipe {
  const sealed = { ...recipe } as Record<string, unknown>
  const context = { recipeSha256: recipeFingerprint(recipe) }
  for (const feature of features) if (feature.seal) Object.assign(sealed, feature.seal(recipe as never, context))
  return sealed as SealedRecipe
}

/** The objects at `users[]` / `wifi` in `data` (`[]`: every item of a list). */
function objectsAt(data: unknown, path: FieldPath): Record<string, unknown>[] {
  let nodes: unknown[] = [data]
  for (const part of path.split('.')) {
    const list = part.endsWith('[]')
    const key = list ? part.slice(0, -2) : part
    nodes = nodes.flatMap((node) => {
      const value = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined
      return list ? (Array.isArray(value) ? value : []) : [value]
    })
  }
  return nodes.filter((node): node is Record<string, unknown> => Boolean(node) && typeof node === 'object' && !Array.isArray(node))
}

/** Every secret value in a recipe (plain or sealed, whichever it holds): what logs and status must never show. */
export function secretValues(recipe: unknown): string[] {
  return SECRET_FIELDS.flatMap(({ field, plain, sealed }) => objectsAt(recipe, field).flatMap((node) => [node[plain], node[sealed]])).filter(
    (value): value is string => typeof value === 'string' && value.length > 0,
  )
}

/** Plaintext secret fields present in recipe data, as `users[].password` (a sealed recipe has none). */
export function plaintextSecretFields(data: unknown): string[] {
  return SECRET_FIELDS.filter(({ field, plain }) => objectsAt(data, field).some((node) => node[plain] !== undefined)).map(({ field, plain }) => `${field}.${plain}`)
}

/**
 * The recipe as its fingerprint sees it: each secret, typed or sealed, becomes one marker
 * at its plain key, so a recipe and its sealed form hash the same and the hash offers
 * nothing to guess passwords against.
 */
export function withoutSecrets<T>(recipe: T): T {
  const copy = structuredClone(recipe)
  for (const { field, plain, sealed } of SECRET_FIELDS) {
    for (const node of objectsAt(copy, field)) {
      const present = node[plain] !== undefined || node[sealed] !== undefined
      delete node[plain]
      delete node[sealed]
      if (present) node[plain] = '<secret>'
    }
  }
  return copy
}

/** SHA256 of the recipe without its secrets: the same for a recipe and its sealed form. */
export function recipeFingerprint(recipe: unknown): string {
  return createHash('sha256').update(canonicalJson(withoutSecrets(recipe))).digest('hex')
}
