/**
 * Checks a build's `<image>.sig.json` against the key the client trusts (pinned per stack,
 * trusted-key.ts) and the build it asked for: the key id, the ECDSA signature over the
 * statement's exact bytes, then the statement's build id, image name and digests. Any
 * failure is UNTRUSTED_BUILD with `detail.reason`; the caller keeps nothing.
 */
import { verify, type KeyObject } from 'node:crypto'
import { BuildError } from '../../util/errors'
import { BuildStatement, SignatureFile } from './statement'

export interface TrustedKey {
  keyId: string
  publicKey: KeyObject
}

export interface Expected {
  buildId: string
  image: string
  /** SHA256 of the image; omitted when the signed one is what the download will check against. */
  sha256?: string
}

export type UntrustedReason = 'missing' | 'malformed' | 'other-key' | 'bad-signature' | 'other-build' | 'other-image' | 'other-digest' | 'no-key' | 'key-changed' | 'wrong-key'

const untrusted = (reason: UntrustedReason, message: string, detail: Record<string, unknown> = {}) => new BuildError('UNTRUSTED_BUILD', `${message}. Nothing was kept.`, { reason, ...detail })

/** The statement, once the signature and every binding hold; else UNTRUSTED_BUILD saying which did not. */
export function verifySignatureFile(text: string, trusted: TrustedKey, expected: Expected, where: string): BuildStatement {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw untrusted('malformed', `${where} is not JSON`)
  }
  const file = SignatureFile.safeParse(json)
  if (!file.success) throw untrusted('malformed', `${where} is not an Orchard signature (${file.error.issues[0]?.path.join('.') || 'top'}: ${file.error.issues[0]?.message})`)
  const { statement: signed, keyId, signature } = file.data
  if (keyId !== trusted.keyId) throw untrusted('other-key', `${where} is signed by key ${keyId}, not by this stack's key ${trusted.keyId}`, { keyId, trusted: trusted.keyId })
  let good: boolean
  try {
    good = verify('sha256', Buffer.from(signed, 'utf8'), { key: trusted.publicKey, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'))
  } catch {
    good = false
  }
  if (!good) throw untrusted('bad-signature', `${where}: the signature does not match its statement under key ${trusted.keyId} (the statement or the signature was changed, or another key made it)`)
  const statement = BuildStatement.safeParse(JSON.parse(signed))
  if (!statement.success) throw untrusted('malformed', `${where}: the signed statement is not a build statement`)
  const { buildId, image, sha256 } = statement.data
  if (buildId !== expected.buildId) throw untrusted('other-build', `${where} vouches for build ${buildId}, not ${expected.buildId}`, { signedFor: buildId })
  if (image !== expected.image) throw untrusted('other-image', `${where} vouches for image ${image}, not ${expected.image}`, { signedFor: image })
  if (expected.sha256 !== undefined && sha256 !== expected.sha256) throw untrusted('other-digest', `${where} vouches for SHA256 ${sha256}, not ${expected.sha256}`, { signed: sha256, actual: expected.sha256 })
  return statement.data
}

/** The missing-signature refusal, worded like the others. */
export const missingSignature = (where: string) => untrusted('missing', `${where} does not exist: the build is not signed, so its origin cannot be checked`)

/** The other refusals trusted-key.ts and results.ts raise, with the same shape. */
export { untrusted }
