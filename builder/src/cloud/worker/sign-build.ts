/**
 * The worker's signature over what it publishes: the statement (build id, image name, the
 * .img.xz's and buildinfo.json's SHA256, recipe fingerprint, source, time, signer) signed
 * by the stack's KMS key (ORCHARD_SIGNING_KEY_ID, set by the template) or, in the local
 * pipeline imitation, a local P-256 key (ORCHARD_LOCAL_SIGNING_KEY, a PEM file). A build
 * with neither fails before anything is published: an unsigned image would be refused anyway.
 */
import { readFile } from 'node:fs/promises'
import { BuildError } from '../../util/errors'
import { createKmsSigner, kmsSeam } from '../signing/kms-signer'
import { createLocalSigner } from '../signing/local-signer'
import type { Signer } from '../signing/signer'
import { canonicalStatement, SIGNATURE_FORMAT, STATEMENT_TYPE, type BuildStatement, type SignatureFile } from '../signing/statement'

export async function signerFromEnv(env: NodeJS.ProcessEnv): Promise<Signer> {
  if (env.ORCHARD_SIGNING_KEY_ID) {
    const { KMSClient } = await import('@aws-sdk/client-kms')
    return createKmsSigner(await kmsSeam(new KMSClient({})), env.ORCHARD_SIGNING_KEY_ID)
  }
  if (env.ORCHARD_LOCAL_SIGNING_KEY) return createLocalSigner(await readFile(env.ORCHARD_LOCAL_SIGNING_KEY, 'utf8'))
  throw new BuildError('UNAVAILABLE', 'No signing key: ORCHARD_SIGNING_KEY_ID (the stack sets it to its KMS key) is not set, so the build cannot be signed and would be refused by every download')
}

/** Pure: the AWS account from CodeBuild's build ARN (arn:<partition>:codebuild:<region>:<account>:build/…). */
export function accountOf(env: NodeJS.ProcessEnv): string | null {
  return /^arn:[a-z-]+:codebuild:[a-z0-9-]*:(\d{12}):build\//.exec(env.CODEBUILD_BUILD_ARN ?? '')?.[1] ?? null
}

export interface Published {
  buildId: string
  image: string
  sha256: string
  buildInfoSha256: string | null
  recipeSha256: string
  source: string
}

/** The `<image>.sig.json` text for what the build publishes. */
export async function signBuild(signer: Signer, published: Published, env: NodeJS.ProcessEnv, now = new Date()): Promise<string> {
  const statement: BuildStatement = {
    type: STATEMENT_TYPE,
    ...published,
    signedAt: now.toISOString(),
    signer: { account: accountOf(env), keyId: await signer.keyId(), codebuildBuildId: env.CODEBUILD_BUILD_ID ?? null },
  }
  const text = canonicalStatement(statement)
  const signature = await signer.sign(text)
  const file: SignatureFile = { format: SIGNATURE_FORMAT, statement: text, algorithm: signature.algorithm, keyId: signature.keyId, signature: signature.signature }
  return `${JSON.stringify(file, null, 2)}\n`
}
