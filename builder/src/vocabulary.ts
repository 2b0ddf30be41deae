/**
 * The names and shapes the builder and the app's contract share, defined once: the builder
 * takes its types from here, the contract (electron/common/contract) its schemas. Imports
 * only zod and uses no Node types, so it compiles under the contract's tsconfig too; the
 * layering rule lets electron/common import this file and no other builder file.
 */
import { z } from 'zod'

/** How ARM work runs: not at all (quick), through the Docker daemon, or in a qemu-user chroot; auto picks. */
export const BuildMode = z.enum(['auto', 'quick', 'docker', 'chroot'])
export type BuildMode = z.infer<typeof BuildMode>
export const BUILD_MODES = BuildMode.options

/** A build's phases in the order they run; `docker-image` makes the Docker image output. */
export const BuildPhase = z.enum(['source', 'steps', 'customize', 'write', 'compress', 'docker-image', 'done'])
export type BuildPhase = z.infer<typeof BuildPhase>

export const BuildProgress = z.object({
  phase: BuildPhase,
  message: z.string(),
  /** 0–1 within the phase, when known. */
  fraction: z.number().min(0).max(1).optional(),
  bytes: z.number().optional(),
  totalBytes: z.number().optional(),
})
export type BuildProgress = z.infer<typeof BuildProgress>

/** The builder's expected failures; the contract's error codes are these and its own. */
export const BuildErrorCode = z.enum([
  'INVALID_RECIPE', // a recipe breaks its schema (detail.problems: path + message each)
  'NOT_FOUND', // a named thing (file, image, drive, build) does not exist
  'INVALID_INPUT', // an argument or value the operation cannot take (a device variable with a line break, a directory where a file is needed)
  'FORBIDDEN', // refused on purpose (a card path outside the folders that may be changed, a non-loopback bind, an untrusted sender)
  'CHECKSUM_MISMATCH', // a source's or a download's SHA256 is not the expected one (detail: expected, actual)
  'UNTRUSTED_BUILD', // a cloud build whose signature is missing, bad, by another key or for another build (detail.reason); nothing kept
  'INVALID_SOURCE', // a source that is not a disk image or a readable archive of one
  'INVALID_IMAGE', // a disk image without the partitions or filesystems needed
  'UNWRITABLE', // an output cannot be written where asked
  'DOWNLOAD_FAILED', // a source could not be fetched
  'STEP_FAILED', // an ARM build step (apt, a shell step) exited non-zero (detail: step, exitCode)
  'BOOT_PARTITION_FULL', // what a full build left under the boot mount does not fit on the FAT boot partition (detail: partitionBytes, freeBytes, grew)
  'UNAVAILABLE', // a part the work needs is missing or unreachable (binfmt, root, Docker, a bridge connection)
  'UNSAFE_TARGET', // a flash destination refused before writing (system drive, too small, read-only, …)
  'CLOUD_AUTH', // no AWS credentials, or they were refused or expired (detail.reason: missing | expired | invalid)
  'CLOUD_ACCESS_DENIED', // the credentials may not do this on the bucket (detail: action, bucket, key)
  'CLOUD_NOT_FOUND', // the stack's bucket or an object is missing (detail.missing: bucket | key)
  'CLOUD_WRONG_REGION', // the bucket is in another region (detail.region: the bucket's, when S3 said)
  'CLOUD_FAILED', // any other S3 failure: unreachable endpoint, server error, object changed mid-download (detail: s3Code, status)
  'CANCELLED', // the user cancelled long work
])
export type BuildErrorCode = z.infer<typeof BuildErrorCode>

/** The architectures images are built for. */
export const ImageArch = z.enum(['arm64', 'armhf'])
export type ImageArch = z.infer<typeof ImageArch>

export const DriveIssueCode = z.enum(['SYSTEM_DRIVE', 'SOURCE_DRIVE', 'TOO_SMALL', 'READ_ONLY', 'VERY_LARGE', 'BUSY', 'UNKNOWN_SIZE'])
export type DriveIssueCode = z.infer<typeof DriveIssueCode>

/** Why a drive may not (error) or should not (warning) be flashed. */
export const DriveIssue = z.object({
  code: DriveIssueCode,
  severity: z.enum(['error', 'warning']),
  message: z.string(),
})
export type DriveIssue = z.infer<typeof DriveIssue>

export const FlashPhase = z.enum(['preparing', 'flashing', 'verifying', 'device-files', 'done', 'failed'])
export type FlashPhase = z.infer<typeof FlashPhase>

export const FlashProgress = z.object({
  /** The destination: a device path or an image file path. */
  target: z.string(),
  phase: FlashPhase,
  message: z.string().optional(),
  bytes: z.number().optional(),
  total: z.number().optional(),
  fraction: z.number().optional(),
  /** Bytes per second. */
  speed: z.number().optional(),
  /** Seconds. */
  eta: z.number().optional(),
})
export type FlashProgress = z.infer<typeof FlashProgress>

/** One card flashed: what went where, with which result. */
export const CardRecord = z.object({
  jobId: z.string(),
  /** The block device or image file written. */
  destination: z.string(),
  kind: z.enum(['drive', 'file']),
  size: z.number().nullable(),
  serial: z.string().nullable(),
  hostname: z.string().nullable(),
  /** The image flashed; with a recipe applied on the way, the stock source's. */
  imageSha256: z.string(),
  /** The recipe applied on the way to the card (recipeHash: secrets left out); null for a plain copy, absent in older records. */
  recipeSha256: z.string().nullable().optional(),
  bytesWritten: z.number(),
  /** null when the job ran without verification. */
  verified: z.boolean().nullable(),
  deviceFilesHash: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string(),
  ok: z.boolean(),
  error: z.string().nullable(),
})
export type CardRecord = z.infer<typeof CardRecord>

/** A device of the devices table: its hostname and the variables that become device.env. */
export const Device = z.object({
  hostname: z.string(),
  /** KEY → value, KEY in UPPER_SNAKE; HOSTNAME included. */
  variables: z.record(z.string(), z.string()),
})
export type Device = z.infer<typeof Device>

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

/** A device as flashed: written after its device.env, with its own scripts. */
export const FlashDevice = Device.extend({ files: DeviceFiles.optional() })
export type FlashDevice = z.infer<typeof FlashDevice>

/** A problem of one devices.csv row. */
export const CsvProblem = z.object({
  /** 1-based line number in the file where the row starts (the header is 1). */
  row: z.number(),
  /** The column's header as written in the file. */
  column: z.string().optional(),
  message: z.string(),
})
export type CsvProblem = z.infer<typeof CsvProblem>

/** A file or folder on a flashed card's boot partition. */
export const CardEntry = z.object({
  /** Absolute on the boot partition, '/'-separated. */
  path: z.string(),
  size: z.number(),
  isDirectory: z.boolean(),
  /** ISO 8601 (FAT keeps local time without a zone; read as this machine's local time). */
  mtime: z.string(),
})
export type CardEntry = z.infer<typeof CardEntry>

/** One edit or read of a flashed card's boot partition, the same whether core or the writer runs it. */
export const CardOp = z.discriminatedUnion('name', [
  z.object({ name: z.literal('list'), dir: z.string().optional() }).strict(),
  z.object({ name: z.literal('read'), path: z.string() }).strict(),
  z.object({ name: z.literal('write'), path: z.string(), content: z.string() }).strict(),
  z.object({ name: z.literal('remove'), path: z.string() }).strict(),
  z.object({ name: z.literal('buildInfo') }).strict(),
])
export type CardOp = z.infer<typeof CardOp>

/** What a CardOp gives back, named like the op. */
export const CardAnswer = z.discriminatedUnion('name', [
  z.object({ name: z.literal('list'), entries: z.array(CardEntry.strict()) }).strict(),
  z.object({ name: z.literal('read'), content: z.string() }).strict(),
  z.object({ name: z.literal('write'), path: z.string() }).strict(),
  z.object({ name: z.literal('remove'), path: z.string() }).strict(),
  z.object({ name: z.literal('buildInfo'), buildInfo: z.unknown() }).strict(),
])
export type CardAnswer = z.infer<typeof CardAnswer>

/** A cloud build's status object, builds/<id>/status.json, as the build writes it. */
export const CloudBuildStatus = z.object({
  id: z.string(),
  /** queued (uploaded, waiting for the pipeline), setup, then the build's phases, upload, done. */
  phase: z.string().min(1),
  percent: z.number().min(0).max(100),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  result: z.enum(['succeeded', 'failed']).optional(),
  error: z.string().optional(),
  lastLines: z.array(z.string()).default([]),
})
export type CloudBuildStatus = z.infer<typeof CloudBuildStatus>

/** A build in the bucket: running while its status has no result, unknown without a readable status. */
export const CloudBuild = z.object({
  id: z.string(),
  result: z.enum(['succeeded', 'failed', 'running', 'unknown']),
  /** The build's last status; null when it has none (only the upload got there). */
  status: CloudBuildStatus.nullable(),
})
export type CloudBuild = z.infer<typeof CloudBuild>

/**
 * The official catalog: the OS list Raspberry Pi publishes for Imager
 * (builder/src/catalog/README.md). The Pi models its device filter knows.
 */
export const CatalogDevice = z.enum(['pi5', 'pi4', 'pi3', 'zero2w', 'zero'])
export type CatalogDevice = z.infer<typeof CatalogDevice>

/** One image of the catalog, in Orchard's words (the list's own field names in the comments). */
export const CatalogEntry = z.object({
  name: z.string(),
  description: z.string(),
  /** The folders (`subitems`) it sits in, outermost first; empty at the top level. */
  group: z.array(z.string()),
  url: z.string(),
  /** `image_download_sha256` / `image_download_size`: the file downloaded (the recipe source's sha256). */
  downloadSha256: z.string().nullable(),
  downloadSize: z.number().nullable(),
  /** `extract_sha256` / `extract_size`: the disk image after decompression. */
  extractSha256: z.string().nullable(),
  extractSize: z.number().nullable(),
  /** `release_date`, YYYY-MM-DD as the list writes it. */
  releaseDate: z.string().nullable(),
  /** `devices`: Imager's hardware tags (`pi5-64bit`, `pi4-32bit`, …); empty when the entry names none. */
  devices: z.array(z.string()),
  /** `init_format`: how Imager customises it (`cloudinit-rpi`, `systemd`, …). */
  initFormat: z.string().nullable(),
  /** From the URL or the device tags; null when neither says. */
  arch: ImageArch.nullable(),
  /** `icon`: an absolute URL (resolved against the list's own URL). */
  icon: z.string().nullable(),
})
export type CatalogEntry = z.infer<typeof CatalogEntry>

/** Where a catalog listing came from: the network (fresh or confirmed by 304), the cache (offline), or the list shipped with Orchard. */
export const CatalogOrigin = z.enum(['network', 'cache', 'shipped'])
export type CatalogOrigin = z.infer<typeof CatalogOrigin>

/** An entry of the list that was skipped because it does not fit the format (never fatal). */
export const CatalogProblem = z.object({ path: z.string(), message: z.string() })
export type CatalogProblem = z.infer<typeof CatalogProblem>

/** Factory mode (builder/src/flash/factory): one card reader's slot, as a person at it sees it. */
export const FactorySlot = z.object({
  /** The reader's drive. */
  drive: z.string(),
  state: z.enum(['waiting', 'writing', 'done', 'failed', 'refused']),
  hostname: z.string().nullable(),
  phase: FlashPhase.nullable(),
  fraction: z.number().nullable(),
  /** Bytes a second, while writing or verifying. */
  speed: z.number().nullable(),
  /** "done: sensor-014 — swap the card" */
  message: z.string(),
})
export type FactorySlot = z.infer<typeof FactorySlot>

export const FactoryQueueEntry = z.object({
  hostname: z.string(),
  status: z.enum(['pending', 'writing', 'done']),
  /** Cards started for it (a failed or pulled one counts). */
  attempts: z.number(),
  drive: z.string().nullable(),
  lastError: z.string().nullable(),
  doneAt: z.string().nullable(),
})
export type FactoryQueueEntry = z.infer<typeof FactoryQueueEntry>

export const FactoryQueue = z.object({
  pending: z.number(),
  writing: z.number(),
  done: z.number(),
  total: z.number(),
  paused: z.boolean(),
  cardsPerHour: z.number().nullable(),
  entries: z.array(FactoryQueueEntry),
})
export type FactoryQueue = z.infer<typeof FactoryQueue>
