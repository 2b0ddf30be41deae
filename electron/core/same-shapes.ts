/**
 * Shapes the builder's own modules define and the contract defines again, checked equal in
 * both directions at compile time (everything else both use comes from
 * builder/src/vocabulary.ts). A change to one side that the other lacks fails the typecheck.
 */
import type { RecipeFile, RecipeProblem, Settings } from '@common/contract'
import type { RecipeProblem as BuilderRecipeProblem } from '../../builder/src/recipe/load'
import type { RecipeFile as BuilderRecipeFile } from '../../builder/src/recipe/recipe-files'
import type { Recipe } from '../../builder/src/recipe/schema'

/** True only when A and B are the same type (an optional field on one side only counts). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
type Assert<T extends true> = T

export type _RecipeProblem = Assert<Equal<RecipeProblem, BuilderRecipeProblem>>
export type _RecipeFile = Assert<Equal<RecipeFile, BuilderRecipeFile>>
export type _ReleaseArch = Assert<Equal<Settings['releases'][number]['arch'], Recipe['arch']>>
