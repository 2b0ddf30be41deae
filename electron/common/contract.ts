/**
 * The API contract: every procedure (name → input/output schema) and every event
 * (name → payload schema). The single source of truth for names and shapes; both
 * transports (Electron IPC, the loopback bridge) and the renderer's client use it.
 */
import { z } from 'zod'
import { ErrorShape } from './errors'

const NoInput = z.object({}).strict()

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  runtime: z.enum(['electron', 'node']),
  platform: z.string(),
  arch: z.string(),
  elevated: z.boolean(),
  versions: z.object({
    node: z.string(),
    v8: z.string(),
    electron: z.string().nullable(),
    chrome: z.string().nullable(),
  }),
})
export type AppInfo = z.infer<typeof AppInfo>

export const CapabilityId = z.enum(['quickBuild', 'dockerBuild', 'cloud', 'flash', 'bootTest'])
export type CapabilityId = z.infer<typeof CapabilityId>

export const ProbeResult = z.object({
  id: z.string(),
  label: z.string(),
  ok: z.boolean(),
  /** A capability is ready when all of its required probes pass. */
  required: z.boolean(),
  detail: z.string(),
  /** How to fix a failing probe, for a person. */
  fix: z.string().optional(),
})
export type ProbeResult = z.infer<typeof ProbeResult>

export const Capability = z.object({
  id: CapabilityId,
  label: z.string(),
  ready: z.boolean(),
  probes: z.array(ProbeResult),
})
export type Capability = z.infer<typeof Capability>

export const SystemCheck = z.object({
  /** Names this run; its `system.probe` events carry the same id. */
  checkId: z.string(),
  checkedAt: z.string(),
  capabilities: z.array(Capability),
})
export type SystemCheck = z.infer<typeof SystemCheck>

export const RecipeProblem = z.object({ path: z.string(), message: z.string() })

export const RecipeValidation = z.object({
  valid: z.boolean(),
  problems: z.array(RecipeProblem),
  /** The recipe's name when it parsed far enough to have one. */
  name: z.string().nullable(),
})

/** How ARM work runs: not at all (quick), through the Docker daemon, or in a qemu-user chroot; auto picks. */
export const BuildMode = z.enum(['auto', 'quick', 'docker', 'chroot'])
/** Where the builder itself runs: in core's process, or in the builder container ("local Docker"). */
export const BuildPlace = z.enum(['host', 'container'])

export const BuildPhase = z.enum(['source', 'steps', 'customize', 'write', 'docker', 'compress', 'done'])

export const BuildProgress = z.object({
  buildId: z.string(),
  phase: BuildPhase,
  message: z.string(),
  fraction: z.number().min(0).max(1).optional(),
  bytes: z.number().optional(),
  totalBytes: z.number().optional(),
})
export type BuildProgress = z.infer<typeof BuildProgress>

export const BuildOutput = z.object({
  image: z.string(),
  sha256: z.string(),
  compressed: z.string().nullable(),
  buildInfoFile: z.string(),
  bytes: z.number(),
  customizations: z.array(z.string()),
  release: z.string(),
  /** The Docker image output, when the recipe asks for one. */
  dockerImage: z
    .object({ reference: z.string(), pushed: z.string().optional(), compressedBytes: z.number(), uncompressedBytes: z.number() })
    .optional(),
})
export type BuildOutput = z.infer<typeof BuildOutput>

export const BuildFinished = z.discriminatedUnion('ok', [
  z.object({ buildId: z.string(), ok: z.literal(true), output: BuildOutput }),
  z.object({ buildId: z.string(), ok: z.literal(false), error: ErrorShape }),
])
export type BuildFinished = z.infer<typeof BuildFinished>

const FilePath = z.string().min(1)

export const DriveIssue = z.object({
  code: z.enum(['SYSTEM_DRIVE', 'SOURCE_DRIVE', 'TOO_SMALL', 'READ_ONLY', 'VERY_LARGE', 'BUSY', 'UNKNOWN_SIZE']),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
})

export const DriveView = z.object({
  device: z.string(),
  description: z.string(),
  size: z.number(),
  removable: z.boolean(),
  system: z.boolean(),
  readOnly: z.boolean(),
  virtual: z.boolean(),
  busType: z.string(),
  mountpoints: z.array(z.string()),
  serial: z.string().nullable(),
  /** Against the image given to drives.list, if any: why it may not (errors) or should not (warnings) be flashed. */
  issues: z.array(DriveIssue),
})
export type DriveView = z.infer<typeof DriveView>

/** A device's own startup-scripts, already rendered (file name → text), written to its card after flashing. */
export const DeviceFiles = z
  .object({
    runOnce: z.record(z.string(), z.string()).optional(),
    everyTime: z.record(z.string(), z.string()).optional(),
    /** Names may hold folders here (`certs/ca.pem`). */
    resources: z.record(z.string(), z.string()).optional(),
  })
  .strict()
export type DeviceFiles = z.infer<typeof DeviceFiles>

export const Device = z.object({ hostname: z.string(), variables: z.record(z.string(), z.string()), files: DeviceFiles.optional() })
export type Device = z.infer<typeof Device>

/** A problem of one devices.csv row (1-based line, the header is 1). */
export const CsvProblem = z.object({ row: z.number(), column: z.string().optional(), message: z.string() })
export type CsvProblem = z.infer<typeof CsvProblem>

/** A problem of one device in a table: `index` is its position, `field` what to mark. */
export const DeviceProblem = z.object({
  index: z.number(),
  field: z.enum(['hostname', 'variables', 'files']),
  /** The variable (for `variables`) or file (for `files`) at fault, when one is. */
  key: z.string().optional(),
  message: z.string(),
})
export type DeviceProblem = z.infer<typeof DeviceProblem>

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
  })
  .strict()
export type CloudSettings = z.infer<typeof CloudSettings>

/** What the app remembers between runs (core keeps it in the user's data dir). */
export const Settings = z.object({
  /** Where builds write their images. */
  outDir: z.string(),
  /** The recipe last opened or saved, and its text when it was last edited (drafts survive a restart). */
  lastRecipePath: z.string().nullable(),
  lastRecipeYaml: z.string().nullable(),
  theme: z.enum(['system', 'light', 'dark']),
  notifyWhenDone: z.boolean(),
  /** Local image files picked as sources, newest first. */
  recentSources: z.array(z.string()),
  /** The source picker's list of official releases (editable). */
  releases: z.array(z.object({ label: z.string(), url: z.string(), sha256: z.string(), arch: z.enum(['arm64', 'armhf']) })),
  cloud: CloudSettings,
})
export type Settings = z.infer<typeof Settings>

export const LibraryImage = z.object({
  path: z.string(),
  name: z.string(),
  bytes: z.number(),
  modified: z.string(),
  sha256: z.string().nullable(),
  /** buildinfo.json beside the image, when there is one. */
  buildInfo: z.unknown().nullable(),
})
export type LibraryImage = z.infer<typeof LibraryImage>

export const FlashTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('drive'), device: z.string() }),
  z.object({ kind: z.literal('file'), path: FilePath }),
])

export const FlashJob = z.object({
  image: FilePath,
  targets: z.array(FlashTarget).min(1),
  /** One per target (same order); null for a plain copy. */
  devices: z.array(Device.nullable()).optional(),
  verify: z.boolean().default(true),
})
export type FlashJob = z.infer<typeof FlashJob>

export const FlashProgress = z.object({
  jobId: z.string(),
  target: z.string(),
  phase: z.enum(['preparing', 'flashing', 'verifying', 'device-files', 'done', 'failed']),
  message: z.string().optional(),
  bytes: z.number().optional(),
  total: z.number().optional(),
  fraction: z.number().optional(),
  speed: z.number().optional(),
  eta: z.number().optional(),
})

export const CardRecord = z.object({
  jobId: z.string(),
  destination: z.string(),
  kind: z.enum(['drive', 'file']),
  size: z.number().nullable(),
  serial: z.string().nullable(),
  hostname: z.string().nullable(),
  imageSha256: z.string(),
  bytesWritten: z.number(),
  verified: z.boolean().nullable(),
  deviceFilesHash: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string(),
  ok: z.boolean(),
  error: z.string().nullable(),
})
export type CardRecord = z.infer<typeof CardRecord>

export const FlashResult = z.object({
  jobId: z.string(),
  /** Every card flashed, verified and given its files. */
  ok: z.boolean(),
  records: z.array(CardRecord),
  /** Why the whole job stopped (refused, bad image, writer failed), when it did. */
  error: ErrorShape.optional(),
})
export type FlashResult = z.infer<typeof FlashResult>

/** A cloud build's status as the build writes it to builds/<id>/status.json (builder/src/cloud/status.ts). */
export const CloudBuildStatus = z.object({
  id: z.string(),
  /** queued, then the build's phases (source, steps, customize, write, compress, upload, done). */
  phase: z.string(),
  percent: z.number(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  result: z.enum(['succeeded', 'failed']).optional(),
  error: z.string().optional(),
  lastLines: z.array(z.string()),
})
export type CloudBuildStatus = z.infer<typeof CloudBuildStatus>

/** A build in the bucket: running while its status has no result, unknown without a readable status. */
export const CloudBuild = z.object({
  id: z.string(),
  result: z.enum(['succeeded', 'failed', 'running', 'unknown']),
  status: CloudBuildStatus.nullable(),
})
export type CloudBuild = z.infer<typeof CloudBuild>

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
})
export type DownloadedImage = z.infer<typeof DownloadedImage>

export const DownloadFinished = z.discriminatedUnion('ok', [
  z.object({ downloadId: z.string(), buildId: z.string(), ok: z.literal(true), output: DownloadedImage }),
  z.object({ downloadId: z.string(), buildId: z.string(), ok: z.literal(false), error: ErrorShape }),
])
export type DownloadFinished = z.infer<typeof DownloadFinished>

const CardTarget = z.object({ target: FilePath })
const CardEntry = z.object({ path: z.string(), size: z.number(), isDirectory: z.boolean(), mtime: z.string() })

export const procedures = {
  'app.info': { input: NoInput, output: AppInfo },
  'system.check': { input: NoInput, output: SystemCheck },
  /** Checks recipe YAML; relative paths in it are checked against `baseDir` when given. */
  'recipes.validate': { input: z.object({ yaml: z.string(), baseDir: FilePath.optional() }).strict(), output: RecipeValidation },
  'recipes.load': { input: z.object({ path: FilePath }).strict(), output: z.object({ path: z.string(), yaml: z.string(), validation: RecipeValidation }) },
  /** Writes recipe YAML (only a valid one) to `path`, atomically. */
  'recipes.save': { input: z.object({ path: FilePath, yaml: z.string() }).strict(), output: z.object({ path: z.string() }) },
  /** Starts a build in the background; progress and the end arrive as builds.* events. */
  'builds.start': {
    input: z.object({ recipePath: FilePath, outDir: FilePath, mode: BuildMode.default('auto'), where: BuildPlace.default('host') }).strict(),
    output: z.object({ buildId: z.string() }),
  },
  'builds.cancel': { input: z.object({ buildId: z.string() }).strict(), output: z.object({ cancelled: z.boolean() }) },
  /** Drives now; with `image`, each with the issues that stop or warn against flashing it. System drives hidden unless asked. */
  'drives.list': {
    input: z.object({ image: FilePath.optional(), showSystem: z.boolean().default(false) }).strict(),
    output: z.object({ drives: z.array(DriveView) }),
  },
  /** Polls for inserted and removed cards; `drives.changed` fires only on a change. */
  'drives.watch': { input: z.object({ watching: z.boolean() }).strict(), output: z.object({ watching: z.boolean() }) },
  /** Flashes in the writer process; progress and the end arrive as flash.progress / flash.result. */
  'flash.start': { input: FlashJob.strict(), output: z.object({ jobId: z.string() }) },
  'flash.cancel': { input: z.object({ jobId: z.string() }).strict(), output: z.object({ cancelled: z.boolean() }) },
  'cards.list': { input: CardTarget.extend({ dir: z.string().optional() }).strict(), output: z.object({ entries: z.array(CardEntry) }) },
  'cards.read': { input: CardTarget.extend({ path: z.string() }).strict(), output: z.object({ content: z.string() }) },
  'cards.write': { input: CardTarget.extend({ path: z.string(), content: z.string() }).strict(), output: z.object({ path: z.string() }) },
  'cards.remove': { input: CardTarget.extend({ path: z.string() }).strict(), output: z.object({ path: z.string() }) },
  'cards.buildInfo': { input: CardTarget.strict(), output: z.object({ buildInfo: z.unknown() }) },
  'records.list': { input: NoInput, output: z.object({ records: z.array(CardRecord) }) },
  'records.export': {
    input: z.object({ format: z.enum(['csv', 'json']), path: FilePath }).strict(),
    output: z.object({ path: z.string(), count: z.number() }),
  },
  /** Recipe data (the form's object) as YAML, with its validation; relative paths checked against `baseDir`. */
  'recipes.toYaml': {
    input: z.object({ data: z.unknown(), baseDir: FilePath.optional() }).strict(),
    output: z.object({ yaml: z.string(), validation: RecipeValidation }),
  },
  /** Recipe YAML as data for the form (read the way the builder reads it), or null when it is not YAML of a mapping. */
  'recipes.fromYaml': {
    input: z.object({ yaml: z.string(), baseDir: FilePath.optional() }).strict(),
    output: z.object({ data: z.record(z.string(), z.unknown()).nullable(), validation: RecipeValidation }),
  },
  /** A secret typed once, returned sealed: a password as a sha512crypt hash, a wifi passphrase as its WPA PSK. */
  'secrets.seal': {
    input: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('password'), password: z.string().min(1) }).strict(),
      z.object({ kind: z.literal('wifi'), ssid: z.string().min(1), passphrase: z.string() }).strict(),
    ]),
    output: z.object({ sealed: z.string() }),
  },
  /** SHA256 and size of a local file (a source image picked from disk). */
  'files.sha256': { input: z.object({ path: FilePath }).strict(), output: z.object({ path: z.string(), sha256: z.string(), bytes: z.number() }) },
  /** devices.csv text → devices, with every problem and its row; nothing is imported when there are problems. */
  'devices.parseCsv': { input: z.object({ text: z.string() }).strict(), output: z.object({ devices: z.array(Device), problems: z.array(CsvProblem) }) },
  'devices.toCsv': { input: z.object({ devices: z.array(Device) }).strict(), output: z.object({ csv: z.string() }) },
  /** Every problem that would stop a device's files being written (hostname, variable names, file names), per device. */
  'devices.check': { input: z.object({ devices: z.array(Device) }).strict(), output: z.object({ problems: z.array(DeviceProblem) }) },
  /** Writes text the user exported (devices CSV) to a path on this computer. */
  'files.writeText': { input: z.object({ path: FilePath, content: z.string() }).strict(), output: z.object({ path: z.string() }) },
  'files.readText': { input: z.object({ path: FilePath }).strict(), output: z.object({ path: z.string(), content: z.string() }) },
  'settings.get': { input: NoInput, output: Settings },
  /** Merges and saves; returns the whole settings. */
  'settings.set': { input: Settings.partial().strict(), output: Settings },
  /** Images in the output folder (built here or downloaded), newest first. */
  'library.list': { input: z.object({ dir: FilePath.optional() }).strict(), output: z.object({ images: z.array(LibraryImage) }) },
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
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>

export const events = {
  /** One probe of a running system.check finished (lets the UI fill in as it goes). */
  'system.probe': z.object({ checkId: z.string(), capability: CapabilityId, probe: ProbeResult }),
  'builds.progress': BuildProgress,
  'builds.finished': BuildFinished,
  'drives.changed': z.object({ drives: z.array(DriveView) }),
  'flash.progress': FlashProgress,
  'flash.result': FlashResult,
  'cloud.progress': CloudProgress,
  'cloud.finished': CloudFinished,
  'download.progress': DownloadProgress,
  'download.finished': DownloadFinished,
} as const satisfies Record<string, z.ZodType>

export type Method = keyof typeof procedures
export type Input<M extends Method> = z.input<(typeof procedures)[M]['input']>
export type Output<M extends Method> = z.output<(typeof procedures)[M]['output']>
export type EventName = keyof typeof events
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>

export function isMethod(name: string): name is Method {
  return Object.hasOwn(procedures, name)
}
export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name)
}

/** What every call returns, whatever the transport: never a raw exception. */
export const CallResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorShape }),
])
export type CallResult = z.infer<typeof CallResult>
