/**
 * The builder's expected failures. Each has a code the app maps onto its contract and a
 * message written for the person who has to fix the input.
 */
export type BuildErrorCode =
  | 'INVALID_RECIPE' // the recipe breaks the schema (detail: the issues with their paths)
  | 'NOT_FOUND' // a file the recipe or command names does not exist
  | 'INVALID_INPUT' // an argument or value the operation cannot take (a device variable with a line break, a directory where a file is needed)
  | 'FORBIDDEN' // refused on purpose (a card path outside the folders that may be read or changed)
  | 'CHECKSUM_MISMATCH' // a source's or downloaded object's SHA256 is not the one expected
  | 'INVALID_SOURCE' // the source is not a readable archive or disk image
  | 'INVALID_IMAGE' // a disk image without the partitions or filesystems we need
  | 'UNWRITABLE' // the output cannot be written where asked
  | 'DOWNLOAD_FAILED' // the source could not be fetched
  | 'STEP_FAILED' // an ARM build step (apt, a shell step) exited non-zero (detail: step, exitCode)
  | 'UNAVAILABLE' // a part the build needs is missing here (binfmt, root, Docker)
  | 'UNSAFE_TARGET' // a flash destination that must not be written (system drive, too small, read-only, …)
  | 'CLOUD_AUTH' // no AWS credentials, or they were refused or expired (detail.reason: 'missing' | 'expired' | 'invalid')
  | 'CLOUD_ACCESS_DENIED' // the credentials work but may not do this on the bucket (detail: action, bucket, key)
  | 'CLOUD_NOT_FOUND' // the bucket or object does not exist (detail.missing: 'bucket' | 'key')
  | 'CLOUD_WRONG_REGION' // the bucket is in another region than the client's (detail.region: the bucket's, when S3 said)
  | 'CLOUD_FAILED' // any other S3 failure: unreachable endpoint, server error, an object changed mid-download (detail: s3Code, status)
  | 'CANCELLED'

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
