import { z } from 'zod'
import { BuildErrorCode } from '../../builder/src/vocabulary'

/** The closed list of error codes that may cross the contract boundary: the builder's and these. */
export const ErrorCode = z.enum([
  ...BuildErrorCode.options,
  'UNKNOWN_METHOD', // no such procedure in the contract
  'INTERNAL', // a bug: anything not thrown as an OrchardError
])
export type ErrorCode = z.infer<typeof ErrorCode>

export const ErrorShape = z.object({
  code: ErrorCode,
  message: z.string(),
  detail: z.unknown().optional(),
})
export type ErrorShape = z.infer<typeof ErrorShape>

/** An expected failure with a code; anything else thrown is reported as INTERNAL. */
export class OrchardError extends Error {
  readonly code: ErrorCode
  readonly detail?: unknown

  constructor(code: ErrorCode, message: string, detail?: unknown) {
    super(message)
    this.name = 'OrchardError'
    this.code = code
    this.detail = detail
  }

  toShape(): ErrorShape {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail }
  }
}
