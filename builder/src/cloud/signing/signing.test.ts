/**
 * Signed builds (issue 14): the statement, both signers and the verifier. The KMS signer
 * runs against a stubbed KmsSeam (the only part that needs AWS) that signs as KMS does:
 * RAW message, SHA-256, ECDSA P-256, DER. openssl, when present, checks a signature too.
 */
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { signBuild, accountOf } from '../worker/sign-build'
import { createKmsSigner, type KmsSeam } from './kms-signer'
import { createLocalSigner, generateLocalSigningKey } from './local-signer'
import { canonicalJson, SignatureFile } from './statement'
import { verifySignatureFile, type TrustedKey } from './verify'

const published = { buildId: '20250101-120000-1a2b3c4d', image: 'kiosk.img.xz', sha256: 'ab'.repeat(32), buildInfoSha256: 'cd'.repeat(32), recipeSha256: 'ef'.repeat(32), source: 'https://downloads.example/raspios.img.xz' }
const ENV = { CODEBUILD_BUILD_ARN: 'arn:aws:codebuild:eu-west-1:123456789012:build/orchard-build:0c1d', CODEBUILD_BUILD_ID: 'orchard-build:0c1d' }
const expected = { buildId: published.buildId, image: published.image }
const WHERE = 's3://b/builds/x/kiosk.img.xz.sig.json'

async function localPair() {
  const { privateKeyPem } = generateLocalSigningKey()
  const signer = createLocalSigner(privateKeyPem)
  const trusted: TrustedKey = { keyId: await signer.keyId(), publicKey: await signer.publicKey() }
  return { signer, trusted, privateKeyPem }
}

const refusal = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return error as { code: string; message: string; detail: { reason: string } }
  }
  throw new Error('not refused')
}

describe('statement', () => {
  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}')
  })
})

describe('local signer and verifier', () => {
  it('a signed build verifies, and the statement says who built it', async () => {
    const { signer, trusted } = await localPair()
    const text = await signBuild(signer, published, ENV, new Date('2025-01-01T12:30:00Z'))
    const statement = verifySignatureFile(text, trusted, { ...expected, sha256: published.sha256 }, WHERE)
    expect(statement).toMatchObject({ ...published, signedAt: '2025-01-01T12:30:00.000Z', signer: { account: '123456789012', keyId: trusted.keyId, codebuildBuildId: 'orchard-build:0c1d' } })
    expect(trusted.keyId).toMatch(/^local:[0-9a-f]{64}$/)
  })

  it('openssl verifies the same signature over the same bytes', async (context) => {
    try {
      execFileSync('openssl', ['version'])
    } catch {
      return context.skip('openssl is not installed')
    }
    const { signer, trusted } = await localPair()
    const file = SignatureFile.parse(JSON.parse(await signBuild(signer, published, ENV)))
    const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-sig-'))
    await writeFile(path.join(dir, 'pub.pem'), trusted.publicKey.export({ type: 'spki', format: 'pem' }))
    await writeFile(path.join(dir, 'statement'), file.statement)
    await writeFile(path.join(dir, 'sig.der'), Buffer.from(file.signature, 'base64'))
    expect(execFileSync('openssl', ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.der', 'statement'], { cwd: dir, encoding: 'utf8' })).toMatch(/Verified OK/)
  })

  it('a tampered statement is refused: bad-signature', async () => {
    const { signer, trusted } = await localPair()
    const file = JSON.parse(await signBuild(signer, published, ENV))
    file.statement = file.statement.replace(published.sha256, 'ee'.repeat(32))
    const error = refusal(() => verifySignatureFile(JSON.stringify(file), trusted, expected, WHERE))
    expect(error).toMatchObject({ code: 'UNTRUSTED_BUILD', detail: { reason: 'bad-signature' } })
    expect(error.message).toMatch(/signature does not match its statement.*Nothing was kept\.$/)
  })

  it('a statement for another build id is refused: other-build', async () => {
    const { signer, trusted } = await localPair()
    const text = await signBuild(signer, { ...published, buildId: '20250101-120000-99999999' }, ENV)
    expect(refusal(() => verifySignatureFile(text, trusted, expected, WHERE))).toMatchObject({ code: 'UNTRUSTED_BUILD', detail: { reason: 'other-build', signedFor: '20250101-120000-99999999' } })
  })

  it('a statement for another image or digest is refused', async () => {
    const { signer, trusted } = await localPair()
    const text = await signBuild(signer, published, ENV)
    expect(refusal(() => verifySignatureFile(text, trusted, { ...expected, image: 'other.img.xz' }, WHERE))).toMatchObject({ detail: { reason: 'other-image' } })
    expect(refusal(() => verifySignatureFile(text, trusted, { ...expected, sha256: '00'.repeat(32) }, WHERE))).toMatchObject({ detail: { reason: 'other-digest' } })
  })

  it('a signature by another key is refused: its key id (other-key), or the trusted id claimed (bad-signature)', async () => {
    const mine = await localPair()
    const theirs = await localPair()
    const text = await signBuild(theirs.signer, published, ENV)
    expect(refusal(() => verifySignatureFile(text, mine.trusted, expected, WHERE))).toMatchObject({ code: 'UNTRUSTED_BUILD', detail: { reason: 'other-key' } })
    const claimed = JSON.stringify({ ...JSON.parse(text), keyId: mine.trusted.keyId })
    expect(refusal(() => verifySignatureFile(claimed, mine.trusted, expected, WHERE))).toMatchObject({ code: 'UNTRUSTED_BUILD', detail: { reason: 'bad-signature' } })
  })

  it.each([
    ['not JSON', 'nope'],
    ['no statement', '{"format":"orchard.signature/v1"}'],
    ['a signature that is not base64', JSON.stringify({ format: 'orchard.signature/v1', statement: '{}', algorithm: 'ECDSA_SHA_256', keyId: 'k', signature: '%%' })],
    ['another algorithm', JSON.stringify({ format: 'orchard.signature/v1', statement: '{}', algorithm: 'RSASSA_PSS_SHA_256', keyId: 'k', signature: 'AA==' })],
  ])('%s is refused: malformed', async (_name, text) => {
    const { trusted } = await localPair()
    expect(refusal(() => verifySignatureFile(text, trusted, expected, WHERE))).toMatchObject({ code: 'UNTRUSTED_BUILD', detail: { reason: 'malformed' } })
  })

  it('refuses a local key that is not P-256', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
    expect(() => createLocalSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).toThrow(/P-256/)
  })

  it('reads the account only from a CodeBuild build ARN', () => {
    expect(accountOf(ENV)).toBe('123456789012')
    expect(accountOf({ CODEBUILD_BUILD_ARN: 'arn:aws:codebuild:eu-west-1:evil:build/x' })).toBeNull()
    expect(accountOf({})).toBeNull()
  })
})

/** A stand-in for KMS with a real P-256 key: what the seam sends is recorded, the answers are KMS-shaped. */
function stubKms(keySpec = 'ECC_NIST_P256') {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const calls: { sign: unknown[]; getPublicKey: unknown[] } = { sign: [], getPublicKey: [] }
  const arn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'
  const kms: KmsSeam = {
    async getPublicKey(input) {
      calls.getPublicKey.push(input)
      return { KeyId: arn, PublicKey: publicKey.export({ type: 'spki', format: 'der' }), KeySpec: keySpec as never, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] }
    },
    async sign(input) {
      calls.sign.push(input)
      return { KeyId: arn, Signature: sign('sha256', input.Message as Uint8Array, { key: privateKey, dsaEncoding: 'der' }), SigningAlgorithm: 'ECDSA_SHA_256' }
    },
  }
  return { kms, calls, arn, publicKey }
}

describe('KMS signer (stubbed seam: AWS cannot run here)', () => {
  it('signs the statement as a RAW ECDSA_SHA_256 message with the key ARN, once asking for the public key', async () => {
    const { kms, calls, arn, publicKey } = stubKms()
    const signer = createKmsSigner(kms, 'alias/orchard')
    const text = await signBuild(signer, published, ENV)
    const statement = verifySignatureFile(text, { keyId: arn, publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })) }, expected, WHERE)
    expect(statement.signer.keyId).toBe(arn)
    expect(calls.getPublicKey).toEqual([{ KeyId: 'alias/orchard' }])
    expect(calls.sign).toEqual([{ KeyId: arn, Message: expect.any(Buffer), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }])
    expect(JSON.parse(text).keyId).toBe(arn)
  })

  it('refuses a key that is not an ECC_NIST_P256 signing key', async () => {
    const { kms } = stubKms('RSA_2048')
    await expect(createKmsSigner(kms, 'k').sign('{}')).rejects.toMatchObject({ code: 'UNTRUSTED_BUILD', message: expect.stringContaining('key spec RSA_2048, not ECC_NIST_P256') })
  })
})
