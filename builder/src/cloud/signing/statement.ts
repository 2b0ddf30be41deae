/**
 * What a cloud build signs: a small statement binding one build id to one image digest,
 * and the `<image>.sig.json` file that carries it. The statement is kept as the exact
 * string that was signed (canonical JSON: sorted keys, no spaces), so verifying checks
 * those bytes and nothing has to be re-serialised the same way on both sides.
 */
import { z } from 'zod'

export const STATEMENT_TYPE = 'orchard.build-statement/v1'
export const SIGNATURE_FORMAT = 'orchard.signature/v1'
/** The one algorithm both signers use: KMS ECDSA_SHA_256 with an ECC_NIST_P256 key is the same as node:crypto's P-256 + SHA-256. */
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256'
/** KMS signs a RAW message of at most 4096 bytes; a statement is a few hundred. */
export const MAX_STATEMENT_BYTES = 4096

const SHA256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA256')

export const BuildStatement = z
  .object({
    type: z.literal(STATEMENT_TYPE),
    /** builds/<id>/: the build this image belongs to (the per-build binding KMS Sign itself cannot carry). */
    buildId: z.string().min(1).max(128),
    /** The published image's file name, <name>.img.xz. */
    image: z.string().min(1).max(200),
    /** SHA256 of the .img.xz as published. */
    sha256: SHA256,
    /** SHA256 of buildinfo.json as published, so the build info shown is vouched for too. */
    buildInfoSha256: SHA256.nullable(),
    /** The recipe's fingerprint (secrets left out), as build info has it. */
    recipeSha256: z.string().max(200),
    /** The source as build info carries it: a shareable URL or a path. */
    source: z.string().max(2048),
    signedAt: z.string().datetime(),
    signer: z
      .object({
        /** The AWS account the build ran in (from CodeBuild's build ARN); null for the local signer. */
        account: z.string().nullable(),
        keyId: z.string().min(1).max(2048),
        /** CodeBuild's own build id, for CloudTrail and the CodeBuild console; null outside CodeBuild. */
        codebuildBuildId: z.string().nullable(),
      })
      .strict(),
  })
  .strict()
export type BuildStatement = z.infer<typeof BuildStatement>

export const SignatureFile = z
  .object({
    format: z.literal(SIGNATURE_FORMAT),
    /** The signed bytes: canonicalStatement(statement), as UTF-8. */
    statement: z.string().max(MAX_STATEMENT_BYTES),
    algorithm: z.literal(SIGNING_ALGORITHM),
    keyId: z.string().min(1).max(2048),
    /** DER-encoded ECDSA signature, base64. */
    signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).max(512),
  })
  .strict()
export type SignatureFile = z.infer<typeof SignatureFile>

/** Pure: JSON with object keys sorted at every level and no spacing: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined)
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

/** The statement's signed text; refuses one that is not a statement or too long for KMS. */
export function canonicalStatement(statement: BuildStatement): string {
  const text = canonicalJson(BuildStatement.parse(statement))
  if (Buffer.byteLength(text) > MAX_STATEMENT_BYTES) throw new Error(`A build statement of ${Buffer.byteLength(text)} bytes is over KMS's ${MAX_STATEMENT_BYTES}`)
  return text
}

/** Pure: the key of an image's signature beside it: builds/<id>/<name>.img.xz.sig.json. */
export const signatureKey = (imageKey: string) => `${imageKey}.sig.json`
