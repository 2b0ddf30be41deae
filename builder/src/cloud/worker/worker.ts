/**
 * The cloud side of a build, `orchard cloud worker`: what builder/buildspec.yml's build
 * phase runs in CodeBuild, in the folder the pipeline unpacked build.zip into.
 *
 *   1. the build id from build.json (else the pipeline execution id, else CodeBuild's);
 *      status.json `setup`, keeping the upload's startedAt
 *   2. the folder checked against build.json (sizes, SHA256, no plaintext secret)
 *   3. buildImage with --mode from ORCHARD_BUILD_MODE (default auto); status.json follows
 *      its progress (phase, overall percent, the last lines), written at most every 5 s
 *      and at each phase change
 *   4. the image compressed with xz when the recipe did not ask for it, `<name>.img.xz.sha256`
 *   5. signed (sign-build.ts: build id, image name, the .img.xz's and buildinfo.json's
 *      SHA256 … with the stack's KMS key), then published under builds/<id>/: <name>.img.xz,
 *      its .sha256, <name>.img.xz.sig.json (downloads verify both before they keep
 *      anything), <name>.img.sha256 (the uncompressed image's), buildinfo.json; the Docker
 *      image output pushed to ORCHARD_ECR_REPOSITORY_URI when the recipe asks for one
 *   6. build.log (the whole log as JSON lines), then the final status: succeeded, or failed
 *      with `<CODE>: <message>`; `result` is the last thing written
 * Everything under builds/<id>/ is read and written through a session scoped to that
 * prefix (build-session.ts) when the stack names a writer role.
 * Every line, the error and the log are redacted (the sealed recipe's PSK and password
 * hashes, any crypt hash, any psk=<hex>): nothing under builds/ holds a secret.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { BUILD_MODES, buildImage, type BuildMode, type BuildPhase, type BuildResult } from '../../pipeline/build'
import { BuildError } from '../../util/errors'
import { sha256File } from '../../util/hash'
import { compressXz } from '../../output/write-image'
import type { Recipe } from '../../recipe/schema'
import { secretValues } from '../../recipe/secrets'
import { MANIFEST_ENTRY } from '../build-zip'
import { checkBuildFolder } from './check-build-folder'
import { createS3Client, s3Call } from '../s3'
import { buildPrefix, checkBuildId, outputKeys } from '../build-keys'
import { redactLines, redactText } from '../redact'
import { readStatus, writeStatus, type BuildStatus } from '../status'
import type { Signer } from '../signing/signer'
import { signatureKey } from '../signing/statement'
import { buildScopedClient, type StsSeam } from './build-session'
import { signBuild, signerFromEnv } from './sign-build'

export type WorkerPhase = 'setup' | BuildPhase | 'upload'

/** Where each phase sits in the overall percent: [start, end), in the order buildImage runs them. */
const PHASE_RANGES: Record<WorkerPhase, [number, number]> = {
  setup: [0, 2],
  source: [2, 30],
  steps: [30, 60],
  customize: [60, 65],
  write: [65, 80],
  compress: [80, 88],
  'docker-image': [88, 93],
  upload: [93, 99],
  done: [99, 99],
}

/** Pure: the build's overall percent from its phase and the fraction done within it. */
export function overallPercent(phase: string, fraction?: number): number {
  const [start, end] = PHASE_RANGES[phase as WorkerPhase] ?? [0, 0]
  const within = fraction === undefined || !Number.isFinite(fraction) ? 0 : Math.min(1, Math.max(0, fraction))
  return Math.floor(start + (end - start) * within)
}

/**
 * Pure: when a status write is due. A new phase is written at once (but not twice within
 * `minGapMs`), anything else at most every `intervalMs`.
 */
export class StatusThrottle {
  private lastAt = -Infinity
  private lastPhase: string | undefined
  constructor(
    private readonly intervalMs = 5000,
    private readonly minGapMs = 1000,
  ) {}

  due(now: number, phase: string): boolean {
    const since = now - this.lastAt
    return (phase !== this.lastPhase && since >= this.minGapMs) || since >= this.intervalMs
  }

  wrote(now: number, phase: string): void {
    this.lastAt = now
    this.lastPhase = phase
  }
}

/** Pure: the build id: build.json's, else the pipeline execution's, else the CodeBuild build's. */
export function resolveBuildId(manifest: unknown, env: NodeJS.ProcessEnv): string {
  const candidates = [
    (manifest as { id?: unknown } | null)?.id,
    env.ORCHARD_PIPELINE_EXECUTION_ID,
    env.CODEBUILD_BUILD_ID?.split(':').at(-1),
  ]
  for (const candidate of candidates) {
    if (typeof candidate !== 'string' || !candidate) continue
    try {
      checkBuildId(candidate)
      return candidate
    } catch {
      // not usable as a key: try the next one
    }
  }
  throw new BuildError('INVALID_INPUT', `No build id: ${MANIFEST_ENTRY} has none, and neither ORCHARD_PIPELINE_EXECUTION_ID nor CODEBUILD_BUILD_ID is set`)
}

/** Pure: an ECR tag for a recipe's Docker tag, in the stack's one repository (kiosk:1.2 → kiosk-1.2). */
export function ecrTag(recipeTag: string): string {
  const colon = recipeTag.lastIndexOf(':')
  const [repo, version] = colon > recipeTag.lastIndexOf('/') ? [recipeTag.slice(0, colon), recipeTag.slice(colon + 1)] : [recipeTag, 'latest']
  return `${repo.split('/').at(-1)}-${version}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128)
}


/** Pure: a failure as the status's error line. */
export function errorLine(error: unknown): string {
  if (error instanceof BuildError) return `${error.code}: ${error.message}`
  return `INTERNAL: ${error instanceof Error ? error.message : String(error)}`
}

export interface WorkerOptions {
  /** The unpacked build.zip (CODEBUILD_SRC_DIR). */
  srcDir: string
  bucket: string
  client?: S3Client
  mode?: BuildMode
  /** ECR repository URI to push the Docker image output to. */
  ecrRepository?: string
  env?: NodeJS.ProcessEnv
  /** Each log line (redacted), for the console. */
  onLine?: (line: string) => void
  /** Progress as buildImage reports it, for the console's bar. */
  onProgress?: (phase: string, message: string, fraction?: number, bytes?: number, total?: number) => void
  signal?: AbortSignal
  /** Status write cadence (tests shorten it). */
  statusIntervalMs?: number
  /** The signer (default: from the environment, sign-build.ts). */
  signer?: Signer
  /** STS for the per-build writer session (default: the SDK's; only with ORCHARD_WRITER_ROLE_ARN). */
  sts?: () => Promise<StsSeam>
}

export interface WorkerResult {
  id: string
  status: BuildStatus
  keys?: ReturnType<typeof outputKeys>
  sha256?: string
  docker?: string
}

/** Runs the cloud build in `srcDir`; never throws for a failed build: its status says failed. */
export async function runCloudWorker(options: WorkerOptions): Promise<WorkerResult> {
  const env = options.env ?? process.env
  const { bucket, srcDir, signal } = options
  const manifest = await readFile(path.join(srcDir, MANIFEST_ENTRY), 'utf8').then((text) => JSON.parse(text) as unknown, () => null)
  const id = resolveBuildId(manifest, env)
  // Every read and write below is of builds/<id>/ only.
  const client = await buildScopedClient({ env, bucket, id, fallback: options.client ?? createS3Client(), sts: options.sts })
  const previous = await readStatus(client, bucket, id).catch(() => null)
  const startedAt = previous?.startedAt ?? new Date().toISOString()

  let secrets: string[] = []
  const lines: string[] = []
  const log: string[] = []
  const note = (entry: Record<string, unknown>, line?: string) => {
    log.push(redactText(JSON.stringify({ time: new Date().toISOString(), ...entry }), secrets))
    if (line !== undefined && line !== lines.at(-1)) {
      lines.push(line)
      if (lines.length > 200) lines.splice(0, lines.length - 200)
      options.onLine?.(redactText(line, secrets))
    }
  }

  let phase: WorkerPhase = 'setup'
  let percent = 0
  const throttle = new StatusThrottle(options.statusIntervalMs ?? 5000, Math.min(1000, options.statusIntervalMs ?? 1000))
  let writing: Promise<void> = Promise.resolve()
  let pending = false
  const current = (): BuildStatus => ({ id, phase, percent, startedAt, lastLines: lines.slice(-20) })
  /** Progress statuses: one write at a time, the newest state; a failed write is only logged. */
  const maybeWrite = (force = false) => {
    const now = Date.now()
    if (!force && !throttle.due(now, phase)) return
    throttle.wrote(now, phase)
    if (pending) return
    pending = true
    writing = writing.then(async () => {
      pending = false
      await writeStatus(client, bucket, id, current(), { secrets }).catch((error: unknown) => {
        options.onLine?.(`status not written: ${(error as Error).message}`)
      })
    })
  }
  const enter = (next: WorkerPhase, message: string, fraction?: number) => {
    phase = next
    percent = Math.max(percent, overallPercent(next, fraction))
    note({ type: 'progress', phase: next, message, ...(fraction !== undefined && { fraction }) }, `${next}: ${message}`)
    maybeWrite()
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'orchard-cloud-'))
  try {
    enter('setup', `build ${id}: checking build.zip`)
    await writeStatus(client, bucket, id, current())
    const signer = options.signer ?? (await signerFromEnv(env))
    const { recipe: checked } = await checkBuildFolder(srcDir)
    secrets = secretValues(checked)
    const mode = options.mode ?? (env.ORCHARD_BUILD_MODE as BuildMode | undefined) ?? 'auto'
    if (!BUILD_MODES.includes(mode)) throw new BuildError('INVALID_INPUT', `ORCHARD_BUILD_MODE "${mode}" is not one of ${BUILD_MODES.join(', ')}`)
    const ecr = options.ecrRepository ?? env.ORCHARD_ECR_REPOSITORY_URI
    // With the stack's ECR repository, the Docker image output goes there (pushed below), not to the recipe's registry.
    const recipe: Recipe = ecr && checked.outputs.docker ? { ...checked, outputs: { ...checked.outputs, docker: { tag: checked.outputs.docker.tag } } } : checked
    enter('setup', `${recipe.name}: ${mode} build`, 1)

    const outDir = path.join(tmp, 'out')
    const result: BuildResult = await buildImage(
      { recipe, baseDir: srcDir },
      {
        outDir,
        mode,
        signal,
        onProgress: ({ phase: buildPhase, message, fraction, bytes, totalBytes }) => {
          options.onProgress?.(buildPhase, redactText(message, secrets), fraction, bytes, totalBytes)
          if (buildPhase === 'done') return
          if (buildPhase !== phase || `${buildPhase}: ${message}` !== lines.at(-1)) {
            enter(buildPhase, message, fraction)
          } else {
            percent = Math.max(percent, overallPercent(buildPhase, fraction))
            maybeWrite()
          }
        },
      },
    )

    let docker: string | undefined
    if (ecr && result.docker) {
      enter('docker-image', `pushing to ${ecr}`)
      docker = await pushToEcr(result.docker.reference, ecr, ecrTag(checked.outputs.docker!.tag))
      note({ type: 'progress', phase: 'docker-image', message: `pushed ${docker}` }, `docker-image: pushed ${docker}`)
    }

    let xz = result.compressed
    if (!xz) {
      enter('compress', 'compressing with xz')
      xz = path.join(tmp, `${path.basename(result.image)}.xz`)
      await compressXz(result.image, xz)
    }
    enter('compress', 'hashing the .img.xz', 1)
    const sha256 = await sha256File(xz, { signal })

    const keys = outputKeys(id, recipe.name)
    const buildInfoText = await readFile(result.buildInfoFile, 'utf8')
    enter('upload', 'signing the image digest')
    const signature = await signBuild(
      signer,
      {
        buildId: id,
        image: path.basename(keys.image),
        sha256,
        buildInfoSha256: createHash('sha256').update(buildInfoText).digest('hex'),
        recipeSha256: result.buildInfo.recipeSha256,
        source: result.buildInfo.source.url ?? result.buildInfo.source.path ?? '',
      },
      env,
    )
    enter('upload', `uploading to s3://${bucket}/${buildPrefix(id)}`)
    const total = (await stat(xz)).size
    await uploadFile(client, bucket, keys.image, xz, 'application/x-xz', signal, (bytes) => {
      percent = Math.max(percent, overallPercent('upload', bytes / total))
      maybeWrite()
    })
    await putText(client, bucket, keys.checksum, `${sha256}  ${path.basename(keys.image)}\n`, 'text/plain')
    await putText(client, bucket, signatureKey(keys.image), signature, 'application/json')
    await putText(client, bucket, keys.imageChecksum, await readFile(result.checksumFile, 'utf8'), 'text/plain')
    await putText(client, bucket, keys.buildInfo, buildInfoText, 'application/json')
    note({ type: 'result', image: keys.image, sha256, imageSha256: result.sha256, bytes: result.bytes, ...(docker && { docker }) }, `done: published s3://${bucket}/${keys.image}`)
    phase = 'done'
    percent = 100
    await writing
    await putText(client, bucket, keys.log, `${log.join('\n')}\n`, 'application/x-ndjson')
    const status: BuildStatus = { ...current(), endedAt: new Date().toISOString(), result: 'succeeded' }
    await writeStatus(client, bucket, id, status, { secrets })
    return { id, status, keys, sha256, ...(docker && { docker }) }
  } catch (error) {
    const cancelled = signal?.aborted
    const line = cancelled ? 'CANCELLED: the build was stopped' : errorLine(error)
    note({ type: 'error', code: error instanceof BuildError ? error.code : 'INTERNAL', message: error instanceof Error ? error.message : String(error) }, line)
    await writing
    await putText(client, bucket, `${buildPrefix(id)}build.log`, `${log.join('\n')}\n`, 'application/x-ndjson').catch(() => {})
    const status: BuildStatus = { ...current(), endedAt: new Date().toISOString(), result: 'failed', error: line }
    await writeStatus(client, bucket, id, status, { secrets }).catch((writeError: unknown) => {
      options.onLine?.(`final status not written: ${(writeError as Error).message}`)
    })
    return { id, status: { ...status, lastLines: redactLines(status.lastLines, secrets), error: redactText(line, secrets) } }
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

async function putText(client: S3Client, bucket: string, key: string, body: string, type: string): Promise<void> {
  await s3Call(client, { action: 'PutObject', bucket, key }, () => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: type })))
}

async function uploadFile(client: S3Client, bucket: string, key: string, file: string, type: string, signal: AbortSignal | undefined, onBytes: (bytes: number) => void): Promise<void> {
  const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: createReadStream(file), ContentType: type }, partSize: 16 << 20, queueSize: 4, leavePartsOnError: false })
  upload.on('httpUploadProgress', (progress) => onBytes(progress.loaded ?? 0))
  const abort = () => void upload.abort().catch(() => {})
  signal?.addEventListener('abort', abort, { once: true })
  try {
    await s3Call(client, { action: 'PutObject', bucket, key }, () => upload.done())
  } finally {
    signal?.removeEventListener('abort', abort)
  }
}

/**
 * Tags the loaded image as `<repository>:<tag>` and pushes it with the credentials the
 * Docker CLI's config holds for the registry (the buildspec logs in with
 * `aws ecr get-login-password | docker login`). Returns `<repository>@<digest>`.
 */
async function pushToEcr(reference: string, repository: string, tag: string): Promise<string> {
  const [{ requireDocker, followDaemon }, { registryAuth }] = await Promise.all([import('../../util/docker-daemon'), import('../../output/docker-image')])
  const docker = await requireDocker(undefined, 'Pushing to ECR')
  await docker.getImage(reference).tag({ repo: repository, tag })
  const stream = await docker.getImage(`${repository}:${tag}`).push({ tag }, undefined, registryAuth(repository))
  let digest: string | undefined
  const events = await followDaemon(docker, stream, (event) => (digest = event.aux?.Digest ?? digest))
  const failed = events.find((event) => event.error)
  if (failed || !digest) throw new BuildError('UNAVAILABLE', `Pushing ${repository}:${tag} failed: ${failed?.error ?? 'the registry returned no digest'}`)
  return `${repository}@${digest}`
}

/**
 * Marks the build failed with `message` (the buildspec's install phase, when the machine
 * could not be prepared): the status keeps its startedAt and gets a result; nothing else
 * is published.
 */
export async function failCloudBuild(options: { srcDir: string; bucket: string; message: string; client?: S3Client; env?: NodeJS.ProcessEnv; sts?: () => Promise<StsSeam> }): Promise<BuildStatus> {
  const env = options.env ?? process.env
  const manifest = await readFile(path.join(options.srcDir, MANIFEST_ENTRY), 'utf8').then((text) => JSON.parse(text) as unknown, () => null)
  const id = resolveBuildId(manifest, env)
  const client = await buildScopedClient({ env, bucket: options.bucket, id, fallback: options.client ?? createS3Client(), sts: options.sts })
  const previous = await readStatus(client, options.bucket, id).catch(() => null)
  const now = new Date().toISOString()
  const status: BuildStatus = {
    id,
    phase: previous?.phase === 'queued' || !previous ? 'setup' : previous.phase,
    percent: previous?.percent ?? 0,
    startedAt: previous?.startedAt ?? now,
    endedAt: now,
    result: 'failed',
    error: `UNAVAILABLE: ${options.message}`,
    lastLines: previous?.lastLines ?? [],
  }
  await writeStatus(client, options.bucket, id, status)
  return status
}
