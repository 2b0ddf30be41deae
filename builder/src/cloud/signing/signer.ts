/**
 * The signer seam: what the worker signs with and what a verifier trusts. Two
 * implementations: KMS (kms-signer.ts, in CodeBuild) and a local P-256 key
 * (local-signer.ts: the local pipeline imitation and tests). Both produce DER ECDSA P-256
 * signatures over SHA-256 of the statement's bytes, which node:crypto verifies.
 */
import { createHash, type KeyObject } from 'node:crypto'
import type { SIGNING_ALGORITHM } from './statement'

export interface Signature {
  algorithm: typeof SIGNING_ALGORITHM
  /** The key that made it, as the verifier pins it (a KMS key ARN, or local:<fingerprint>). */
  keyId: string
  /** DER-encoded, base64. */
  signature: string
}

export interface Signer {
  /** The key's id as signatures will carry it (for KMS: known only after the first call, hence async). */
  keyId(): Promise<string>
  /** Signs the statement's exact text (UTF-8). */
  sign(statement: string): Promise<Signature>
  /** The public key (SPKI), for verifiers. */
  publicKey(): Promise<KeyObject>
}

/** Pure: a short fingerprint of a public key (SHA-256 of its SPKI DER, hex). */
export const keyFingerprint = (key: KeyObject) => createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex')
