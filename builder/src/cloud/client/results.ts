/**
 * A finished cloud build's outputs, found and fetched: `findBuildOutputs` lists
 * builds/<id>/ for its image; `downloadBuild` first checks the build's signature
 * (<name>.img.xz.sig.json) against the key the caller trusts and that it vouches for this
 * build and image, then fetches the .img.xz verified against the *signed* SHA256 (parallel
 * ranged GETs, resumable: download.ts) and beside it the small files (the signature, the
 * uncompressed image's .sha256, buildinfo.json; or, for the app's library, the .img.xz's
 * .sha256 and <name>.buildinfo.json), each renamed into place only when complete. An
 * unsigned or badly signed build is refused before a byte of it is written.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { writeFileAtomic } from '../../util/temp'
import path from 'node:path'
import { BuildError } from '../../util/errors'
import { downloadVerified, type DownloadProgress, type DownloadResult } from './download/download'
import { s3Call } from '../s3'
import { buildPrefix, checkBuildId, outputKeys } from '../build-keys'
import { readLimitedBytes } from '../read-limited'
import { fileIn, localFileName } from './local-name'
import { signatureKey, type BuildStatement } from '../signing/statement'
import { missingSignature, untrusted, verifySignatureFile, type TrustedKey } from '../signing/verify'

export interface BuildOutputs {
  id: string
  /** The recipe name: the image is <name>.img.xz. */
  name: string
  keys: ReturnType<typeof outputKeys>
  /** Every key under builds/<id>/. */
  all: string[]
}

/** Pure: the image's recipe name among a build's keys (builds/<id>/<name>.img.xz), or null. */
export function imageName(id: string, keys: readonly string[]): string | null {
  const prefix = buildPrefix(id)
  const images = keys.filter((key) => key.startsWith(prefix) && key.endsWith('.img.xz') && !key.slice(prefix.length).includes('/'))
  return images.length ? images[0]!.slice(prefix.length, -'.img.xz'.length) : null
}

export async function findBuildOutputs(client: S3Client, bucket: string, id: string): Promise<BuildOutputs> {
  checkBuildId(id)
  const prefix = buildPrefix(id)
  const all: string[] = []
  let token: string | undefined
  do {
    const page = await s3Call(client, { action: 'ListObjectsV2', bucket, key: prefix }, () =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token && { ContinuationToken: token }) })),
    )
    for (const object of page.Contents ?? []) if (object.Key) all.push(object.Key)
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  const name = imageName(id, all)
  if (!name) {
    throw new BuildError('CLOUD_NOT_FOUND', `Build ${id} has published no image in s3://${bucket}/${prefix} (not finished, failed, or expired)`, { missing: 'key', bucket, key: `${prefix}<name>.img.xz` })
  }
  const keys = outputKeys(id, name)
  // Every local name comes from this one: refuse it here, before anything is fetched.
  localFileName(`${name}.buildinfo.json`, keys.image)
  localFileName(`${name}.img.xz.sig.json`, keys.image)
  return { id, name, keys, all }
}

export interface DownloadedBuild {
  id: string
  image: string
  sha256: string
  bytes: number
  resumedFrom: number
  /** <name>.img.sha256 (of the uncompressed image) and buildinfo.json (<name>.buildinfo.json with `beside: 'library'`), when published. */
  imageChecksumFile: string | null
  buildInfoFile: string | null
  /** With `beside: 'library'`: <name>.img.xz.sha256, the verified SHA256 of the image. */
  checksumFile?: string
  /** <name>.img.xz.sig.json beside the image, and who built it, as its verified statement says. */
  signatureFile: string
  signedBy: SignedBy
}

/** Who built an image, from its verified signed statement. */
export interface SignedBy {
  buildId: string
  account: string | null
  keyId: string
  signedAt: string
  codebuildBuildId: string | null
}

/** Pure: the statement's signer as `SignedBy`. */
export const signedByOf = (statement: BuildStatement): SignedBy => ({ buildId: statement.buildId, account: statement.signer.account, keyId: statement.signer.keyId, signedAt: statement.signedAt, codebuildBuildId: statement.signer.codebuildBuildId })

/** Pure: where `downloadBuild` puts a build's image in `outDir`; FORBIDDEN when its name is no plain file name. */
export const imageFile = (outDir: string, outputs: BuildOutputs) => fileIn(outDir, `${outputs.name}.img.xz`, outputs.keys.image)

/** Downloads build `id`'s image into `outDir` as <name>.img.xz, SHA256-verified, with its small files. */
export async function downloadBuild(options: {
  client: S3Client
  bucket: string
  id: string
  outDir: string
  /** The build's outputs when `findBuildOutputs` already found them (not listed again). */
  outputs?: BuildOutputs
  /** The key the build must be signed with (trusted-key.ts): checked before anything is downloaded. */
  trust: TrustedKey
  /**
   * What goes beside the image: `build` (default) the build's own small files under their
   * names (<name>.img.sha256, buildinfo.json); `library` what the app's library reads beside
   * each image, named so that many share a folder: <image>.sha256 and <name>.buildinfo.json.
   */
  beside?: 'build' | 'library'
  onProgress?: (progress: DownloadProgress) => void
  signal?: AbortSignal
  partSize?: number
  concurrency?: number
}): Promise<DownloadedBuild> {
  const { client, bucket, id, signal } = options
  const outputs = options.outputs ?? (await findBuildOutputs(client, bucket, id))
  const outDir = path.resolve(options.outDir)
  const dest = imageFile(outDir, outputs)
  const fetchSmall = async (key: string) => {
    const response = await s3Call(client, { action: 'GetObject', bucket, key }, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }))
    return readLimitedBytes(response, `s3://${bucket}/${key}`)
  }
  // Origin first: the signature, its key and its bindings, before a byte of the image is fetched.
  const sigKey = signatureKey(outputs.keys.image)
  const sigWhere = `s3://${bucket}/${sigKey}`
  if (!outputs.all.includes(sigKey)) throw missingSignature(sigWhere)
  const sigBytes = await fetchSmall(sigKey)
  const statement = verifySignatureFile(new TextDecoder().decode(sigBytes), options.trust, { buildId: id, image: `${outputs.name}.img.xz` }, sigWhere)
  // Build info is vouched for by its digest in the statement; one that does not match is refused too.
  let buildInfo: Uint8Array | null = null
  if (statement.buildInfoSha256 && outputs.all.includes(outputs.keys.buildInfo)) {
    buildInfo = await fetchSmall(outputs.keys.buildInfo)
    const actual = createHash('sha256').update(buildInfo).digest('hex')
    if (actual !== statement.buildInfoSha256) throw untrusted('other-digest', `s3://${bucket}/${outputs.keys.buildInfo} is not the build info ${sigWhere} vouches for (SHA256 ${actual}, signed ${statement.buildInfoSha256})`)
  }
  await mkdir(outDir, { recursive: true })
  const result: DownloadResult = await downloadVerified({
    client,
    bucket,
    key: outputs.keys.image,
    // The signed digest, not the unsigned .sha256 beside the image: a replaced image fails here.
    expectedSha256: statement.sha256,
    dest,
    onProgress: options.onProgress,
    signal,
    ...(options.partSize && { partSize: options.partSize }),
    ...(options.concurrency && { concurrency: options.concurrency }),
  })
  const place = async (file: string, data: string | Uint8Array): Promise<string> => {
    await writeFileAtomic(file, data)
    return file
  }
  const small = async (key: string, name = key.slice(key.lastIndexOf('/') + 1)): Promise<string | null> => {
    if (!outputs.all.includes(key)) return null
    const file = fileIn(outDir, name, key)
    return place(file, await fetchSmall(key))
  }
  const signatureFile = await place(fileIn(outDir, `${outputs.name}.img.xz.sig.json`, sigKey), sigBytes)
  const downloaded = { id, image: result.file, sha256: result.sha256, bytes: result.bytes, resumedFrom: result.resumedFrom, signatureFile, signedBy: signedByOf(statement) }
  const buildInfoName = options.beside === 'library' ? `${outputs.name}.buildinfo.json` : 'buildinfo.json'
  const buildInfoFile = buildInfo ? await place(fileIn(outDir, buildInfoName, outputs.keys.buildInfo), buildInfo) : null
  if (options.beside === 'library') {
    const checksumFile = await place(`${dest}.sha256`, `${result.sha256}  ${path.basename(dest)}\n`)
    return { ...downloaded, imageChecksumFile: null, buildInfoFile, checksumFile }
  }
  const imageChecksumFile = await small(outputs.keys.imageChecksum)
  return { ...downloaded, imageChecksumFile, buildInfoFile }
}
