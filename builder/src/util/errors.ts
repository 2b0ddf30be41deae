/**
 * The builder's expected failures. Each has a code (../vocabulary.ts, shared with the app's
 * contract) and a message written for the person who has to fix the input.
 */
import type { BuildErrorCode } from '../vocabulary'

export type { BuildErrorCode }

export class BuildError extends Error {
  constructor(
    readonly code: BuildErrorCode,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message)
    this.name = 'BuildError'
  }
}
