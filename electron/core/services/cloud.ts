/**
 * Cloud builds from the app: the S3 side is builder/src/cloud (client, build.zip, status,
 * verified downloads); this service runs it in the background with contract events.
 *
 *   check     HeadBucket with the current settings and the AWS default chain → ok, or the specific error
 *   start     packs build.zip (the recipe sealed: no plaintext secret leaves the machine), uploads it
 *             (cloud.progress stage upload), then follows builds/<id>/status.json (stage build)
 *             until it has a result (cloud.finished)
 *   list      every build in the bucket with its result
 *   download  a succeeded build's image into the library, verified and resumable
 *             (download.progress, download.finished); a cancelled one keeps its partial file
 *   cancel    an upload (the build never starts), a follow (the build goes on in the cloud) or a download
 *
 * Settings never hold credentials: a client is made for each piece of work from the saved
 * region/profile/endpoint, so the default chain is read afresh (a new `aws sso login` counts).
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { newBuildId, packBuildZip } from '../../../builder/src/cloud/client/pack-build-zip'
import { uploadBuildZip } from '../../../builder/src/cloud/client/upload-build-zip'
import type { DownloadProgress as S3DownloadProgress } from '../../../builder/src/cloud/client/download/download'
import { downloadBuild, findBuildOutputs, imageFile, type BuildOutputs } from '../../../builder/src/cloud/client/results'
import { createS3Client, s3Call } from '../../../builder/src/cloud/s3'
import { createCloudFormationClient, targetOfStack } from '../../../builder/src/cloud/client/stack'
import { defaultPinFile, kmsFor, trustedKey } from '../../../builder/src/cloud/client/trusted-key'
import { checkBuildId } from '../../../builder/src/cloud/build-keys'
import { followStatus } from '../../../builder/src/cloud/client/follow-status'
import { listBuilds } from '../../../builder/src/cloud/client/list-builds'
import { readStatus, type BuildStatus } from '../../../builder/src/cloud/status'
import { BuildError } from '../../../builder/src/util/errors'
import { loadRecipe } from '../../../builder/src/recipe/load'
import type { CloudBuildStatus, CloudSettings, DownloadedImage, Input, Output, Settings } from '@common/contract'
import { OrchardError } from '@common/errors'
import { errorShape } from '../errors'
import type { EventBus } from '../events'

/** Upload progress arrives per part; a few updates a second are plenty. */
const PROGRESS_INTERVAL_MS = 200
/** The longest cloud.check may take (credentials, the stack, the bucket) before it says so. */
const CHECK_TIMEOUT_MS = 15_000

export interface CloudServiceOptions {
  /** The saved settings (the cloud block and the output folder). */
  settings: () => Promise<Settings>
  /** How often a followed status is polled (ms): tests shorten it. Default: followStatus's 1 s growing to 15 s. */
  poll?: { minInterval?: number; maxInterval?: number }
  /** Where signing keys are pinned per bucket (default: <data dir>/signing-keys.json). */
  pinFile?: string
}

export interface CloudService {
  check(input: Input<'cloud.check'>): Promise<Output<'cloud.check'>>
  start(input: Input<'cloud.start'>): Promise<Output<'cloud.start'>>
  list(): Promise<Output<'cloud.list'>>
  download(input: Input<'cloud.download'>): Promise<Output<'cloud.download'>>
  cancel(input: Input<'cloud.cancel'>): Output<'cloud.cancel'>
  /** Resolves when every upload, follow and download has ended (for shutdown and tests). */
  idle(): Promise<void>
}

/** Where the work goes: a client for the bucket, made from the settings. */
export interface CloudTarget {
  client: S3Client
  bucket: string
  region: string | undefined
  endpoint: string | undefined
  /** The key builds must be signed with: the setting, else the stack's SigningKeyArn output (else the bucket's pin). */
  signingKey: string | undefined
}

const clean = (value: string | null | undefined) => value?.trim() || undefined

/** Pure: the cloud settings with blank fields as unset. */
export function normalizeCloud(cloud: CloudSettings) {
  return { region: clean(cloud.region), profile: clean(cloud.profile), bucket: clean(cloud.bucket), stack: clean(cloud.stack), endpoint: clean(cloud.endpoint), signingKey: clean(cloud.signingKey) }
}

/** The client and bucket the settings name; fails (INVALID_INPUT) when they name no bucket. */
export async function resolveTarget(cloud: CloudSettings, signal?: AbortSignal): Promise<CloudTarget> {
  const { region, profile, bucket, stack, endpoint, signingKey } = normalizeCloud(cloud)
  if (!bucket && !stack) throw new OrchardError('INVALID_INPUT', 'No cloud bucket or stack is set: enter the stack name (or its bucket) in the cloud settings.')
  if (!bucket && endpoint) throw new OrchardError('INVALID_INPUT', 'With a custom S3 endpoint, give the bucket name: a stack name is looked up in AWS CloudFormation.')
  let resolved = bucket
  let key = signingKey
  if (!resolved) {
    const cfn = createCloudFormationClient({ region, profile })
    try {
      const target = await targetOfStack(cfn, stack!, signal)
      resolved = target.bucket
      key ??= target.signingKey ?? undefined
    } finally {
      cfn.destroy()
    }
  }
  return { client: createS3Client({ region, profile, endpoint }), bucket: resolved, region, endpoint, signingKey: key }
}

const toContract = (status: BuildStatus): CloudBuildStatus => ({ ...status, lastLines: status.lastLines ?? [] })

export function createCloudService(bus: EventBus, options: CloudServiceOptions): CloudService {
  /** Uploads/follows by build id, downloads by download id. */
  const running = new Map<string, { controller: AbortController; done: Promise<void>; dest?: string }>()

  async function target(signal?: AbortSignal) {
    return resolveTarget((await options.settings()).cloud, signal)
  }

  /**
   * Runs `work` in the background under `id`; its final event is sent once the work is no
   * longer cancellable, so a cancel after that event says there was nothing to cancel.
   */
  function track(id: string, controller: AbortController, work: () => Promise<() => void>, dest?: string) {
    // Start after the call has answered, so the caller knows the id before any event.
    const done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .then((emitFinal) => {
        running.delete(id)
        emitFinal()
      })
      .finally(() => running.delete(id))
    running.set(id, { controller, done, dest })
  }

  function throttled<T>(emit: (value: T) => void, isLast: (value: T) => boolean) {
    let last = 0
    return (value: T) => {
      const now = Date.now()
      if (!isLast(value) && now - last < PROGRESS_INTERVAL_MS) return
      last = now
      emit(value)
    }
  }

  return {
    async check({ settings }) {
      const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS)
      try {
        const cloud = settings ?? (await options.settings()).cloud
        const { client, bucket, endpoint } = await resolveTarget(cloud, signal)
        try {
          // Waits for the credentials too: none, an expired SSO session, refused keys all end here.
          await s3Call(client, { action: 'HeadBucket', bucket }, () => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }))
          return { ok: true, bucket, region: (await client.config.region().catch(() => undefined)) ?? '', endpoint: endpoint ?? null }
        } finally {
          client.destroy()
        }
      } catch (error) {
        if (signal.aborted) {
          return { ok: false, error: { code: 'CLOUD_FAILED', message: `No answer from AWS within ${CHECK_TIMEOUT_MS / 1000} s: check the network, the endpoint and the region.`, detail: { network: 'timeout' } } }
        }
        return { ok: false, error: errorShape(error) }
      }
    },

    async start({ recipePath }) {
      const loaded = await loadRecipe(recipePath) // a bad recipe fails the call itself
      const { client, bucket } = await target() // so does a missing bucket/stack setting
      const buildId = newBuildId()
      const controller = new AbortController()
      const { signal } = controller
      let uploaded = false
      let lastStatus: CloudBuildStatus | undefined
      const uploadProgress = throttled<{ bytes: number; total: number }>(
        ({ bytes, total }) => bus.emit('cloud.progress', { buildId, stage: 'upload', bytes, total }),
        ({ bytes, total }) => bytes === 0 || bytes >= total,
      )
      track(buildId, controller, async () => {
        const work = await mkdtemp(path.join(os.tmpdir(), 'orchard-cloud-'))
        try {
          const packed = await packBuildZip(loaded, { dest: path.join(work, 'build.zip'), id: buildId })
          uploadProgress({ bytes: 0, total: packed.bytes })
          await uploadBuildZip({ client, bucket, packed, signal, onProgress: uploadProgress })
          uploaded = true
          await rm(work, { recursive: true, force: true })
          for await (const status of followStatus({ client, bucket, id: buildId, signal, ...options.poll })) {
            lastStatus = toContract(status)
            bus.emit('cloud.progress', { buildId, stage: 'build', status: lastStatus })
          }
          if (lastStatus?.result === 'succeeded') {
            const status = lastStatus
            return () => bus.emit('cloud.finished', { buildId, ok: true, status })
          }
          const message = `The cloud build failed${lastStatus?.phase ? ` in ${lastStatus.phase}` : ''}: ${lastStatus?.error ?? 'no reason given (see build.log in the bucket)'}`
          const error = { code: 'CLOUD_FAILED' as const, message, detail: { buildFailed: true, phase: lastStatus?.phase } }
          const status = lastStatus
          return () => bus.emit('cloud.finished', { buildId, ok: false, error, ...(status && { status }) })
        } catch (error) {
          let shape = errorShape(error)
          if (shape.code === 'CANCELLED' && uploaded) {
            shape = { code: 'CANCELLED', message: `Stopped following build ${buildId}: it goes on in the cloud (see Cloud builds to download it later).`, detail: { following: true } }
          }
          const status = lastStatus
          return () => bus.emit('cloud.finished', { buildId, ok: false, error: shape, ...(status && { status }) })
        } finally {
          await rm(work, { recursive: true, force: true })
          client.destroy()
        }
      })
      return { buildId }
    },

    async list() {
      const { client, bucket } = await target()
      try {
        const builds = await listBuilds({ client, bucket })
        return { builds: builds.map((build) => ({ id: build.id, result: build.result, status: build.status && toContract(build.status) })) }
      } finally {
        client.destroy()
      }
    },

    async download({ buildId, outDir }) {
      checkBuildId(buildId)
      const settings = await options.settings()
      const { client, bucket, signingKey } = await resolveTarget(settings.cloud)
      const { region, profile } = normalizeCloud(settings.cloud)
      let outputs: BuildOutputs
      try {
        outputs = await findBuildOutputs(client, bucket, buildId)
      } catch (error) {
        try {
          // No image published (yet): say whether the build is running, failed or unknown.
          if (!(error instanceof BuildError && error.code === 'CLOUD_NOT_FOUND' && (error.detail as { missing?: string } | undefined)?.missing === 'key')) throw error
          const status = await readStatus(client, bucket, buildId)
          const state = !status ? 'does not exist (or has no status)' : status.result ? `ended with result ${status.result}` : `is still running (${status.phase})`
          throw new OrchardError('NOT_FOUND', `Build ${buildId} has no image to download: it ${state}.`, { buildId, result: status?.result ?? null })
        } finally {
          client.destroy()
        }
      }
      const dir = path.resolve(outDir ?? settings.outDir)
      const dest = imageFile(dir, outputs)
      // The same image already on its way there: that download is the answer.
      for (const [id, work] of running) if (work.dest === dest) return (client.destroy(), { downloadId: id })
      const downloadId = randomUUID()
      const controller = new AbortController()
      const progress = throttled<S3DownloadProgress>(
        ({ bytes, total, speed, etaSeconds }) => bus.emit('download.progress', { downloadId, buildId, bytes, total, speed, etaSeconds }),
        ({ bytes, total }) => bytes >= total,
      )
      track(
        downloadId,
        controller,
        async () => {
          try {
            // Beside the image, what the library reads: its SHA256 and, when the build has one, its build info.
            // Origin before anything is kept: the build's signature against the bucket's pinned key.
            const trust = await trustedKey({ bucket, ...(signingKey && { key: signingKey }), kms: kmsFor({ region, profile }), pinFile: options.pinFile ?? defaultPinFile() })
            const result = await downloadBuild({ client, bucket, id: buildId, outDir: dir, outputs, beside: 'library', trust, signal: controller.signal, onProgress: progress })
            type Info = { release?: { release?: unknown }; customizations?: unknown } | null
            const info = result.buildInfoFile ? await readFile(result.buildInfoFile, 'utf8').then((text) => JSON.parse(text) as Info).catch(() => null) : null
            const output: DownloadedImage = {
              image: result.image,
              sha256: result.sha256,
              bytes: result.bytes,
              resumedFrom: result.resumedFrom,
              release: typeof info?.release?.release === 'string' ? info.release.release : null,
              customizations: Array.isArray(info?.customizations) ? info.customizations.filter((item): item is string => typeof item === 'string') : [],
              signedBy: result.signedBy,
            }
            return () => bus.emit('download.finished', { downloadId, buildId, ok: true, output })
          } catch (error) {
            const shape = errorShape(error)
            return () => bus.emit('download.finished', { downloadId, buildId, ok: false, error: shape })
          } finally {
            client.destroy()
          }
        },
        dest,
      )
      return { downloadId }
    },

    cancel({ id }) {
      const work = running.get(id)
      work?.controller.abort()
      return { cancelled: Boolean(work) }
    },

    async idle() {
      await Promise.all([...running.values()].map((work) => work.done))
    },
  }
}
