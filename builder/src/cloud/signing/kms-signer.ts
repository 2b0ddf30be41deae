/**
 * The signer in CodeBuild: an AWS KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY) that the
 * stack creates and only the build role may use to sign. The private key never leaves
 * KMS; every Sign is in CloudTrail with the calling build's session.
 *
 * `KmsSeam` is the whole of what this module asks of KMS (two calls), so tests stub it;
 * AWS itself cannot run here. `kmsSeam(client)` is the real one, one line per call.
 */
import type { GetPublicKeyCommandInput, GetPublicKeyCommandOutput, KMSClient, SignCommandInput, SignCommandOutput } from '@aws-sdk/client-kms'
import { createPublicKey, type KeyObject } from 'node:crypto'
import { BuildError } from '../../util/errors'
import type { Signer } from './signer'
import { SIGNING_ALGORITHM } from './statement'

export interface KmsSeam {
  sign(input: SignCommandInput): Promise<Pick<SignCommandOutput, 'KeyId' | 'Signature' | 'SigningAlgorithm'>>
  getPublicKey(input: GetPublicKeyCommandInput): Promise<Pick<GetPublicKeyCommandOutput, 'KeyId' | 'PublicKey' | 'KeySpec' | 'KeyUsage' | 'SigningAlgorithms'>>
}

/** The real seam over an SDK client (loaded lazily: only cloud work needs it). */
export async function kmsSeam(client: KMSClient): Promise<KmsSeam> {
  const { SignCommand, GetPublicKeyCommand } = await import('@aws-sdk/client-kms')
  return { sign: (input) => client.send(new SignCommand(input)), getPublicKey: (input) => client.send(new GetPublicKeyCommand(input)) }
}

/** GetPublicKey's answer as a P-256 verify key, refused when the key is anything else. */
export async function kmsPublicKey(kms: KmsSeam, keyId: string): Promise<{ keyId: string; publicKey: KeyObject }> {
  const answer = await kms.getPublicKey({ KeyId: keyId })
  const wrong = [
    answer.KeySpec !== 'ECC_NIST_P256' && `key spec ${answer.KeySpec ?? 'unknown'}, not ECC_NIST_P256`,
    answer.KeyUsage !== 'SIGN_VERIFY' && `key usage ${answer.KeyUsage ?? 'unknown'}, not SIGN_VERIFY`,
    !answer.SigningAlgorithms?.includes(SIGNING_ALGORITHM) && `no ${SIGNING_ALGORITHM}`,
    (!answer.PublicKey || !answer.KeyId) && 'no public key or key id',
  ].filter(Boolean)
  if (wrong.length) throw new BuildError('UNTRUSTED_BUILD', `KMS key ${keyId} cannot vouch for builds: ${wrong.join(', ')}`, { keyId, reason: 'wrong-key' })
  return { keyId: answer.KeyId!, publicKey: createPublicKey({ key: Buffer.from(answer.PublicKey!), format: 'der', type: 'spki' }) }
}

export function createKmsSigner(kms: KmsSeam, keyId: string): Signer {
  let known: Promise<{ keyId: string; publicKey: KeyObject }> | undefined
  const key = () => (known ??= kmsPublicKey(kms, keyId))
  return {
    keyId: async () => (await key()).keyId,
    publicKey: async () => (await key()).publicKey,
    async sign(statement) {
      const answer = await kms.sign({ KeyId: (await key()).keyId, Message: Buffer.from(statement, 'utf8'), MessageType: 'RAW', SigningAlgorithm: SIGNING_ALGORITHM })
      if (!answer.Signature || answer.SigningAlgorithm !== SIGNING_ALGORITHM) throw new BuildError('UNAVAILABLE', `KMS returned no ${SIGNING_ALGORITHM} signature for key ${keyId}`)
      return { algorithm: SIGNING_ALGORITHM, keyId: answer.KeyId ?? (await key()).keyId, signature: Buffer.from(answer.Signature).toString('base64') }
    },
  }
}
