/** Cloud builds: where they go, build.zip uploaded, status followed, builds listed, images downloaded. */
import { z } from 'zod'
import { CloudBuild, CloudBuildStatus } from '../../../builder/src/vocabulary'
import { ErrorShape } from '../errors'
import { FilePath, NoInput, type EventMap, type ProcedureMap } from './shared'

export { CloudBuild, CloudBuildStatus }

/**
 * Where cloud builds go. Never credentials: those come from the AWS default chain
 * (environment, ~/.aws profiles, SSO, roles). Null fields fall back to the SDK's own
 * defaults (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_S3).
 */
export const CloudSettings = z
  .object({
    region: z.string().nullable(),
    /** A profile from ~/.aws/config. */
    profile: z.string().nullable(),
    /** The stack's data bucket; when null, the `BucketName` output of the stack `stack`. */
    bucket: z.string().nullable(),
    stack: z.string().nullable(),
    /** An S3-compatible endpoint (http://127.0.0.1:9000), instead of AWS. */
    endpoint: z.string().nullable(),
    /**
     * The KMS key (ARN, id or alias) builds must be signed with, or a .pem public key; pinned
     * per bucket on first use. Unset: the stack's SigningKeyArn output, else the bucket's pin.
     */
    signingKey: z.string().nullable().optional(),
  })
  .strict()
export type CloudSettings = z.infer<typeof CloudSettings>

/** Whether the bucket can be reached with the current credentials, and if not the specific reason. */
export const CloudCheck = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), bucket: z.string(), region: z.string(), endpoint: z.string().nullable() }),
  z.object({ ok: z.literal(false), error: ErrorShape }),
])
export type CloudCheck = z.infer<typeof CloudCheck>

export const CloudProgress = z.discriminatedUnion('stage', [
  /** build.zip being packed (sealed) and uploaded. */
  z.object({ buildId: z.string(), stage: z.literal('upload'), bytes: z.number(), total: z.number() }),
  /** The build's status in the bucket, each time it changes. */
  z.object({ buildId: z.string(), stage: z.literal('build'), status: CloudBuildStatus }),
])
export type CloudProgress = z.infer<typeof CloudProgress>

export const CloudFinished = z.discriminatedUnion('ok', [
  z.object({ buildId: z.string(), ok: z.literal(true), status: CloudBuildStatus }),
  /** Failed to upload, to follow, or the build failed in the cloud (then `status` says where). */
  z.object({ buildId: z.string(), ok: z.literal(false), error: ErrorShape, status: CloudBuildStatus.optional() }),
])
export type CloudFinished = z.infer<typeof CloudFinished>

export const DownloadProgress = z.object({
  downloadId: z.string(),
  buildId: z.string(),
  bytes: z.number(),
  total: z.number(),
  /** Bytes per second over the last few seconds. */
  speed: z.number(),
  etaSeconds: z.number().nullable(),
})
export type DownloadProgress = z.infer<typeof DownloadProgress>

export const DownloadedImage = z.object({
  /** The verified image in the output folder (the library). */
  image: z.string(),
  sha256: z.string(),
  bytes: z.number(),
  /** Where an interrupted download had got to (0 for a fresh one). */
  resumedFrom: z.number(),
  /** The build's buildinfo.json, when the bucket has one. */
  release: z.string().nullable(),
  customizations: z.array(z.string()),
  /** Who built it, from its verified signature: the build, the AWS account, the key and when. */
  signedBy: z.object({ buildId: z.string(), account: z.string().nullable(), keyId: z.string(), signedAt: z.string(), codebuildBuildId: z.string().nullable() }),
})
export type DownloadedImage = z.infer<typeof DownloadedImage>

export const DownloadFinished = z.discriminatedUnion('ok', [
  z.object({ downloadId: z.string(), buildId: z.string(), ok: z.literal(true), output: DownloadedImage }),
  z.object({ downloadId: z.string(), buildId: z.string(), ok: z.literal(false), error: ErrorShape }),
])
export type DownloadFinished = z.infer<typeof DownloadFinished>

export const cloudProcedures = {
  /** Can the bucket be reached with the current credentials? `settings` tries unsaved values instead of the saved ones. */
  'cloud.check': { input: z.object({ settings: CloudSettings.optional() }).strict(), output: CloudCheck },
  /**
   * Packs build.zip with the sealed recipe (no plaintext secret leaves the machine), uploads it
   * and follows the build: cloud.progress (upload bytes, then the status), cloud.finished.
   */
  'cloud.start': { input: z.object({ recipePath: FilePath }).strict(), output: z.object({ buildId: z.string() }) },
  /** Builds in the bucket, newest first. */
  'cloud.list': { input: NoInput, output: z.object({ builds: z.array(CloudBuild) }) },
  /** Downloads a succeeded build's image into `outDir` (default: the output folder), verified, resuming a partial one. */
  'cloud.download': { input: z.object({ buildId: z.string().min(1), outDir: FilePath.optional() }).strict(), output: z.object({ downloadId: z.string() }) },
  /**
   * Cancels an upload (the build never starts), stops following a build (it runs on in the
   * cloud), or stops a download (its partial file is kept to resume). `id`: a buildId or a downloadId.
   */
  'cloud.cancel': { input: z.object({ id: z.string() }).strict(), output: z.object({ cancelled: z.boolean() }) },
} as const satisfies ProcedureMap

export const cloudEvents = {
  'cloud.progress': CloudProgress,
  'cloud.finished': CloudFinished,
  'download.progress': DownloadProgress,
  'download.finished': DownloadFinished,
} as const satisfies EventMap
