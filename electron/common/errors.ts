import { z } from 'zod'

/** The closed list of error codes that may cross the contract boundary. */
export const ErrorCode = z.enum([
  'INVALID_INPUT', // the input failed the procedure's schema
  'UNKNOWN_METHOD', // no such procedure in the contract
  'NOT_FOUND', // a named thing (file, image, drive, build) does not exist
  'UNAVAILABLE', // a part the call needs is missing or unreachable (Docker, a bridge connection)
  'FORBIDDEN', // refused on purpose (unsafe drive, non-loopback bind, untrusted sender)
  'CANCELLED', // the user cancelled long work
  'INVALID_RECIPE', // a recipe breaks its schema (detail.problems: path + message each)
  'CHECKSUM_MISMATCH', // a source's or a download's SHA256 is not the expected one (detail: expected, actual)
  'INVALID_SOURCE', // a source that is not a disk image or a readable archive of one
  'INVALID_IMAGE', // a disk image without the partitions or filesystems needed
  'DOWNLOAD_FAILED', // a source could not be fetched
  'UNWRITABLE', // an output cannot be written where asked
  'STEP_FAILED', // an ARM build step exited non-zero (detail: step, exitCode)
  'UNSAFE_TARGET', // a flash destination refused before writing (system drive, too small, read-only, …)
  'CLOUD_AUTH', // no AWS credentials, or they were refused or expired (detail.reason: missing | expired | invalid)
  'CLOUD_ACCESS_DENIED', // the credentials may not do this on the bucket (detail: action, bucket, key)
  'CLOUD_NOT_FOUND', // the stack's bucket or an object is missing (detail.missing: bucket | key)
  'CLOUD_WRONG_REGION', // the bucket is in another region (detail.region: the bucket's)
  'CLOUD_FAILED', // any other S3 failure: unreachable endpoint, server error, object changed mid-download
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
