/**
 * The key a client trusts for a bucket's builds, pinned on first use: the stack's KMS key
 * (its SigningKeyArn output, --signing-key or the app's setting) is fetched once with
 * GetPublicKey and kept in <data dir>/signing-keys.json under the bucket's name; later
 * downloads verify against the pinned public key without asking KMS. A different key for
 * a pinned bucket is refused (key-changed) until the pin is removed on purpose. A local
 * PEM public key (the local pipeline imitation, tests) is used as given, not pinned.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { dataDir } from '../../util/paths'
import { writeFileAtomic } from '../../util/temp'
import { kmsPublicKey, kmsSeam, type KmsSeam } from '../signing/kms-signer'
import { localKeyId } from '../signing/local-signer'
import { untrusted, type TrustedKey } from '../signing/verify'

const Pin = z.object({ keyId: z.string(), requested: z.string(), publicKey: z.string(), pinnedAt: z.string() }).strict()
const Pins = z.record(z.string(), Pin)

export const defaultPinFile = () => path.join(dataDir(), 'signing-keys.json')

export interface TrustChoice {
  bucket: string
  /** A KMS key id, ARN or alias; or a path to a .pem public key. Optional once the bucket is pinned. */
  key?: string
  /** KMS, asked only when the bucket has no pin yet. */
  kms?: () => Promise<KmsSeam>
  pinFile?: string
}

/** KMS for a first pin, made only when needed, with the same region and profile as S3. */
export const kmsFor =
  (options: { region?: string; profile?: string }): (() => Promise<KmsSeam>) =>
  async () => {
    const { KMSClient } = await import('@aws-sdk/client-kms')
    return kmsSeam(new KMSClient({ ...(options.region && { region: options.region }), ...(options.profile && { profile: options.profile }) }))
  }

/** Pure: whether `key` names a local PEM file rather than a KMS key. */
export const isPemPath = (key: string) => /\.pem$/i.test(key)

export async function trustedKey(choice: TrustChoice): Promise<TrustedKey> {
  const { bucket, key } = choice
  if (key && isPemPath(key)) {
    const publicKey: KeyObject = createPublicKey(await readFile(key, 'utf8'))
    return { keyId: localKeyId(publicKey), publicKey }
  }
  const file = choice.pinFile ?? defaultPinFile()
  const pins = await readPins(file)
  const pin = pins[bucket]
  if (pin && (!key || key === pin.keyId || key === pin.requested)) {
    return { keyId: pin.keyId, publicKey: createPublicKey({ key: Buffer.from(pin.publicKey, 'base64'), format: 'der', type: 'spki' }) }
  }
  if (pin) {
    throw untrusted('key-changed', `Bucket ${bucket}'s builds were signed by KMS key ${pin.keyId} (pinned ${pin.pinnedAt}), but now key ${key} is named. If the stack's key was replaced on purpose, remove "${bucket}" from ${file}`, { bucket, pinned: pin.keyId, given: key })
  }
  if (!key) throw untrusted('no-key', `No signing key is known for bucket ${bucket}: name the stack (its SigningKeyArn output) or give the key (--signing-key, or the cloud settings' signing key)`, { bucket })
  if (!choice.kms) throw untrusted('no-key', `KMS key ${key} cannot be fetched here (no KMS client)`, { bucket })
  const fetched = await kmsPublicKey(await choice.kms(), key)
  const spki = fetched.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
  await mkdir(path.dirname(file), { recursive: true })
  const latest = await readPins(file) // another process may have pinned meanwhile: keep its other entries
  await writeFileAtomic(file, `${JSON.stringify({ ...latest, [bucket]: { keyId: fetched.keyId, requested: key, publicKey: spki, pinnedAt: new Date().toISOString() } }, null, 2)}\n`)
  return fetched
}

async function readPins(file: string): Promise<z.infer<typeof Pins>> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null
    throw error
  })
  if (text === null) return {}
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const parsed = Pins.safeParse(json)
  // A damaged pin file must not silently trust whatever comes next: refuse until it is fixed.
  if (!parsed.success) throw untrusted('malformed', `The signing key pins in ${file} are unreadable: fix or remove the file`, { file })
  return parsed.data
}
