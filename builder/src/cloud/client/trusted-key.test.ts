/** The stack's signing key, pinned per bucket on first use (issue 14); KMS through a stubbed seam. */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { KmsSeam } from '../signing/kms-signer'
import { generateLocalSigningKey, localKeyId } from '../signing/local-signer'
import { trustedKey } from './trusted-key'

const ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'

function kmsStub() {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  let asked = 0
  const kms: KmsSeam = {
    getPublicKey: async () => (asked++, { KeyId: ARN, PublicKey: publicKey.export({ type: 'spki', format: 'der' }), KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] }),
    sign: async () => {
      throw new Error('a verifier never signs')
    },
  }
  return { kms: async () => kms, asked: () => asked, publicKey }
}

const pinFile = async () => path.join(await mkdtemp(path.join(os.tmpdir(), 'orchard-pins-')), 'sub', 'signing-keys.json')

describe('trustedKey', () => {
  it('fetches the KMS public key once and pins it per bucket; later calls need no key and no KMS', async () => {
    const file = await pinFile()
    const stub = kmsStub()
    const first = await trustedKey({ bucket: 'data', key: 'alias/orchard', kms: stub.kms, pinFile: file })
    expect(first.keyId).toBe(ARN)
    expect(JSON.parse(await readFile(file, 'utf8')).data).toMatchObject({ keyId: ARN, requested: 'alias/orchard' })
    const again = await trustedKey({ bucket: 'data', pinFile: file })
    const byArn = await trustedKey({ bucket: 'data', key: ARN, pinFile: file })
    expect(stub.asked()).toBe(1)
    for (const key of [again, byArn]) expect(key.publicKey.equals(stub.publicKey)).toBe(true)
  })

  it('refuses another key for a pinned bucket: key-changed, naming the pin file', async () => {
    const file = await pinFile()
    await trustedKey({ bucket: 'data', key: ARN, kms: kmsStub().kms, pinFile: file })
    await expect(trustedKey({ bucket: 'data', key: 'arn:aws:kms:eu-west-1:123456789012:key/other', kms: kmsStub().kms, pinFile: file })).rejects.toMatchObject({
      code: 'UNTRUSTED_BUILD',
      detail: { reason: 'key-changed' },
      message: expect.stringContaining(file),
    })
  })

  it('refuses a bucket with no key and no pin: no-key', async () => {
    await expect(trustedKey({ bucket: 'data', pinFile: await pinFile() })).rejects.toMatchObject({ code: 'UNTRUSTED_BUILD', detail: { reason: 'no-key' } })
  })

  it('refuses a damaged pin file rather than trusting whatever comes next', async () => {
    const file = await pinFile()
    await trustedKey({ bucket: 'data', key: ARN, kms: kmsStub().kms, pinFile: file })
    await writeFile(file, '{"data": {"keyId": 1}}')
    await expect(trustedKey({ bucket: 'data', key: ARN, kms: kmsStub().kms, pinFile: file })).rejects.toMatchObject({ detail: { reason: 'malformed' } })
  })

  it('takes a local .pem public key as given', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-pem-'))
    const { publicKeyPem } = generateLocalSigningKey()
    await writeFile(path.join(dir, 'local.pem'), publicKeyPem)
    const key = await trustedKey({ bucket: 'data', key: path.join(dir, 'local.pem'), pinFile: path.join(dir, 'pins.json') })
    expect(key.keyId).toBe(localKeyId(key.publicKey))
  })
})
