/**
 * The recipe: one zod schema, YAML on disk, assembled from the base fields below and every
 * customisation's own fields (features/registry.ts). Every field is documented in
 * docs/recipe.md. Unknown fields are errors (a typo must not be silently ignored).
 */
import { z } from 'zod'
import { features, FEATURES, type FeatureShape, type SealedParts, type SystemShape } from '../features/registry'
import { ImageArch } from '../vocabulary'
import { RecipePath } from './fields'

const SHA256 = z.string().regex(/^[a-f0-9]{64}$/i, 'must be 64 hexadecimal characters (a SHA256)')

const BASE = {
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'must be letters, digits, ".", "_" or "-" (it names the output files)'),
  description: z.string().optional(),
  source: z
    .object({
      url: z.string().regex(/^(https?|s3):\/\/\S+$/, 'must be an http(s):// or s3:// URL').optional(),
      path: RecipePath.optional(),
      sha256: SHA256,
      /** SHA256 of the disk image inside a compressed source (the catalog's extract_sha256): checked as it is decompressed. */
      extractSha256: SHA256.optional(),
      signatureUrl: z.string().url().optional(),
    })
    .strict()
    .refine((source) => Boolean(source.url) !== Boolean(source.path), { message: 'give exactly one of url or path', path: ['url'] }),
  arch: ImageArch,
  /** Folders outside the recipe's own whose files it may use (recipe-files.ts): the explicit opt-in. */
  allowFilesOutside: z.array(RecipePath).optional(),
}

const OUTPUTS = {
  outputs: z
    .object({
      image: z.object({ compress: z.enum(['xz', 'none']).default('none') }).strict().default({ compress: 'none' }),
      docker: z
        .object({ tag: z.string().min(1), registry: z.string().optional() })
        .strict()
        .optional(),
    })
    .strict()
    .default({ image: { compress: 'none' } }),
}

// Object.assign keeps the registry's order, which is also the order of the YAML docs.
const systemShape = Object.assign({}, ...FEATURES.map((feature) => ('system' in feature ? feature.system : {}))) as SystemShape
const featureShape = Object.assign({}, ...FEATURES.map((feature) => ('schema' in feature ? feature.schema : {}))) as FeatureShape

export const RecipeSchema = z
  .object({
    ...BASE,
    system: z.object(systemShape).strict().default({} as never),
    ...featureShape,
    ...OUTPUTS,
  })
  .strict()
  .superRefine((recipe, context) => {
    for (const feature of features) {
      for (const problem of feature.check?.(recipe) ?? []) context.addIssue({ code: 'custom', path: problem.path, message: problem.message })
    }
  })

export type Recipe = z.output<typeof RecipeSchema>
export type RecipeInput = z.input<typeof RecipeSchema>
/** The recipe with every plaintext secret replaced by its sealed form (recipe/secrets.ts): nothing after sealing sees plaintext. */
export type SealedRecipe = Omit<Recipe, keyof SealedParts> & SealedParts

/** What needs ARM code to run (and so a full build, not the quick path): the fields that ask for it. */
export function armWork(recipe: SealedRecipe | Recipe): string[] {
  const needs = features.flatMap((feature) => feature.arm?.(recipe as never)?.field ?? [])
  return recipe.outputs.docker ? [...needs, 'outputs.docker'] : needs
}
