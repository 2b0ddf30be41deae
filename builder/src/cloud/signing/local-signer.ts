/**
 * An ECDSA P-256 signer with a local key (node:crypto): the same signatures KMS makes with
 * an ECC_NIST_P256 key and ECDSA_SHA_256. The local pipeline imitation and the tests sign
 * with it; nothing shipped to AWS does. Its key id is local:<fingerprint of the public key>.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { keyFingerprint, type Signer } from './signer'
import { SIGNING_ALGORITHM } from './statement'

export const localKeyId = (publicKey: KeyObject) => `local:${keyFingerprint(publicKey)}`

export function createLocalSigner(privateKeyPem: string): Signer {
  const privateKey = createPrivateKey(privateKeyPem)
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('The local signing key must be an EC P-256 private key (PEM)')
  const publicKey = createPublicKey(privateKey)
  const keyId = localKeyId(publicKey)
  return {
    keyId: async () => keyId,
    sign: async (statement) => ({ algorithm: SIGNING_ALGORITHM, keyId, signature: sign('sha256', Buffer.from(statement, 'utf8'), { key: privateKey, dsaEncoding: 'der' }).toString('base64') }),
    publicKey: async () => publicKey,
  }
}

/** A fresh P-256 key pair as PEM (tests, the local pipeline). */
export function generateLocalSigningKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string }
}
