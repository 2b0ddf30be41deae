/** Recipes: checked, loaded, saved, turned into YAML and back; secrets sealed for them. */
import { z } from 'zod'
import { FilePath, type ProcedureMap } from './shared'

export const RecipeProblem = z.object({ path: z.string(), message: z.string() })
export type RecipeProblem = z.infer<typeof RecipeProblem>

/** A local file the recipe names and a build will carry (builder/src/recipe/recipe-files.ts). */
export const RecipeFile = z.object({
  /** The field that names it, e.g. `files[0].source`. */
  field: z.string(),
  /** As the recipe writes it. */
  file: z.string(),
  /** Where it really is, symlinks resolved. */
  path: z.string(),
  size: z.number().int().nonnegative(),
  /** 'recipe folder', `allowFilesOutside[<i>]`, or the source image's own allowance (its SHA256). */
  allowedBy: z.string(),
})
export type RecipeFile = z.infer<typeof RecipeFile>

export const RecipeValidation = z.object({
  valid: z.boolean(),
  problems: z.array(RecipeProblem),
  /** The recipe's name when it parsed far enough to have one. */
  name: z.string().nullable(),
  /** Every file a build will carry, checked; null when not checked (no `baseDir`: an unsaved recipe) or the recipe is invalid. */
  files: z.array(RecipeFile).nullable(),
})
export type RecipeValidation = z.infer<typeof RecipeValidation>

export const recipeProcedures = {
  /** Checks recipe YAML; the files it names are checked (confined to `baseDir`, present) and listed when `baseDir` is given. */
  'recipes.validate': { input: z.object({ yaml: z.string(), baseDir: FilePath.optional() }).strict(), output: RecipeValidation },
  'recipes.load': { input: z.object({ path: FilePath }).strict(), output: z.object({ path: z.string(), yaml: z.string(), validation: RecipeValidation }) },
  /** Writes recipe YAML (only a valid one) to `path`, atomically. */
  'recipes.save': { input: z.object({ path: FilePath, yaml: z.string() }).strict(), output: z.object({ path: z.string() }) },
  /** Recipe data (the form's object) as YAML, with its validation; relative paths checked against `baseDir`. */
  'recipes.toYaml': {
    input: z.object({ data: z.unknown(), baseDir: FilePath.optional() }).strict(),
    output: z.object({ yaml: z.string(), validation: RecipeValidation }),
  },
  /** Recipe YAML as data for the form (read the way the builder reads it), or null when it is not YAML of a mapping. */
  'recipes.fromYaml': {
    input: z.object({ yaml: z.string(), baseDir: FilePath.optional() }).strict(),
    output: z.object({ data: z.record(z.string(), z.unknown()).nullable(), validation: RecipeValidation }),
  },
  /** A secret typed once, returned sealed: a password as a sha512crypt hash, a wifi passphrase as its WPA PSK. */
  'secrets.seal': {
    input: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('password'), password: z.string().min(1) }).strict(),
      z.object({ kind: z.literal('wifi'), ssid: z.string().min(1), passphrase: z.string() }).strict(),
    ]),
    output: z.object({ sealed: z.string() }),
  },
} as const satisfies ProcedureMap
