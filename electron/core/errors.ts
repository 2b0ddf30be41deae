/** The builder's expected failures, as the contract's coded errors. */
import { BuildError } from '../../builder/src/util/errors'
import { OrchardError, type ErrorShape } from '@common/errors'

export function translateError(error: unknown): OrchardError | null {
  if (error instanceof OrchardError) return error
  if (error instanceof BuildError) return new OrchardError(error.code, error.message, error.detail)
  return null
}

/** For errors reported in events rather than call results: never a raw exception. */
export function errorShape(error: unknown): ErrorShape {
  return (translateError(error) ?? new OrchardError('INTERNAL', error instanceof Error ? error.message : String(error))).toShape()
}
