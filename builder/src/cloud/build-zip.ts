/**
 * build.zip: what a cloud build gets from this machine. It holds
 *   recipe.yml   the sealed recipe: passwords as crypt hashes, wifi as its PSK; paths rewritten
 *   build.json   the build's id, when it was packed, the builder version, every file's SHA256
 *   files/…      every file the recipe names that lies under the recipe's folder (same relative path)
 *   outside/<n>/<name>  every file it names outside that folder (the file name kept: it names
 *                startup scripts on the card)
 *   buildspec.yml        the CodeBuild buildspec (builder/buildspec.yml): CodeBuild runs it
 *   orchard-builder.tgz  the builder itself (builder-tarball.ts), so the cloud runs this version
 * No plaintext secret is written: the recipe is sealed before anything is packed.
 * Uploading puts it at builds/<id>/build.zip, then copies it to build.zip, the pipeline's trigger.
 */
import { CopyObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { randomBytes, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import YAML from 'yaml'
import { z } from 'zod'
import { plaintextSecretFields, sealRecipe } from '../recipe/secrets'
import { BuildError } from '../util/errors'
import { checkReferencedFiles, loadRecipe, recipeHash, referencedFiles, type LoadedRecipe } from '../recipe/load'
import type { RecipeInput, SealedRecipe } from '../recipe/schema'
import { sha256File } from '../util/hash'
import { BUILDER_VERSION } from '../util/version'
import { BUILDER_TARBALL_ENTRY, BUILDSPEC_ENTRY, BUILDSPEC_FILE, packBuilderTarball } from './client/builder-tarball'
import { s3Call } from './s3'
import { buildPrefix, checkBuildId, writeStatus } from './status'
import { ZipWriter, extractZip } from './zip'

/** The pipeline's trigger object. */
export const TRIGGER_KEY = 'build.zip'
export const RECIPE_ENTRY = 'recipe.yml'
export const MANIFEST_ENTRY = 'build.json'

export const BuildManifestSchema = z.object({
  format: z.literal(1),
  id: z.string(),
  createdAt: z.string(),
  builder: z.object({ name: z.string(), version: z.string() }),
  recipe: z.object({ name: z.string(), file: z.literal(RECIPE_ENTRY), sha256: z.string() }),
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[a-f0-9]{64}$/), fields: z.array(z.string()) })),
})
export type BuildManifest = z.infer<typeof BuildManifestSchema>

/** A new build id: UTC time (so ids sort by age) and 8 random hex digits, e.g. 20250101-120000-1a2b3c4d. */
export function newBuildId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${stamp}-${randomBytes(4).toString('hex')}`
}

/**
 * Pure: the sealed recipe as recipe data (the schema takes sealed forms too: passwordHash,
 * psk), with each referenced file's path replaced by `rename(field, file)`.
 */
export function sealedRecipeData(sealed: SealedRecipe, rewrite: (field: string, file: string) => string): RecipeInput {
  const data = structuredClone(sealed) as unknown as Record<string, unknown>
  for (const { field, file } of referencedFiles(sealed)) setField(data, field, rewrite(field, file))
  return data as unknown as RecipeInput
}

/** Sets `files[0].source` style paths (as referencedFiles names them). */
function setField(data: Record<string, unknown>, field: string, value: string): void {
  const segments = [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!))
  let node: Record<string | number, unknown> = data
  for (const segment of segments.slice(0, -1)) node = node[segment] as Record<string | number, unknown>
  node[segments.at(-1)!] = value
}

/** Pure: where a referenced file goes inside the zip. */
export function zipPathFor(baseDir: string, file: string, outsideIndex: () => number): string {
  const full = path.resolve(baseDir, file)
  const relative = path.relative(baseDir, full)
  const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)
  if (relative && !outside) return `files/${relative.split(path.sep).join('/')}`
  return `outside/${outsideIndex()}/${path.basename(full)}`
}

export interface PackedBuild {
  file: string
  id: string
  manifest: BuildManifest
  bytes: number
}

export interface PackOptions {
  dest: string
  id?: string
  now?: Date
  forceZip64?: boolean
  /**
   * What runs the build in the cloud, at the zip's root: `buildspec.yml` and
   * `orchard-builder.tgz` (default: this checkout's builder/buildspec.yml and a tarball of
   * this builder, packed now); false leaves both out (a zip for unpackBuildZip alone).
   */
  runner?: { buildspec?: string; builderTarball?: string } | false
}

/** Packs `recipe` into `dest` (written as a temp file, renamed into place when complete). */
export async function packBuildZip(loaded: LoadedRecipe, options: PackOptions): Promise<PackedBuild> {
  const { recipe, baseDir } = loaded
  const id = options.id ?? newBuildId(options.now)
  checkBuildId(id)
  await checkReferencedFiles(recipe, baseDir)
  const createdAt = (options.now ?? new Date()).toISOString()

  // Each distinct file once, however many fields name it.
  const byFull = new Map<string, { zipPath: string; fields: string[] }>()
  let outside = 0
  for (const { field, file } of referencedFiles(recipe)) {
    const full = path.resolve(baseDir, file)
    if (!(await stat(full)).isFile()) throw new BuildError('INVALID_INPUT', `${field}: ${full} is not a file`)
    const known = byFull.get(full)
    if (known) known.fields.push(field)
    else byFull.set(full, { zipPath: zipPathFor(baseDir, file, () => ++outside), fields: [field] })
  }
  const sealed = sealRecipe(recipe)
  const data = sealedRecipeData(sealed, (_field, file) => byFull.get(path.resolve(baseDir, file))!.zipPath)
  const recipeYaml = `# Sealed by Orchard for cloud build ${id}: passwords are crypt hashes, wifi is its PSK.\n${YAML.stringify(data)}`

  const dest = path.resolve(options.dest)
  await mkdir(path.dirname(dest), { recursive: true })
  const temp = `${dest}.${randomUUID()}.partial`
  const zip = await ZipWriter.create(temp, { date: options.now, forceZip64: options.forceZip64 })
  const tarball = options.runner !== false && !options.runner?.builderTarball ? `${dest}.${randomUUID()}.tgz` : undefined
  try {
    await zip.addBuffer(RECIPE_ENTRY, Buffer.from(recipeYaml))
    const files: BuildManifest['files'] = []
    for (const [full, { zipPath, fields }] of byFull) {
      const { size, sha256 } = await zip.addFile(zipPath, full)
      files.push({ path: zipPath, size, sha256, fields })
    }
    if (options.runner !== false) {
      // Not named by the recipe (no fields), but checked like every other file.
      const runner = options.runner ?? {}
      if (tarball) await packBuilderTarball(tarball)
      for (const [entry, file] of [[BUILDSPEC_ENTRY, runner.buildspec ?? BUILDSPEC_FILE], [BUILDER_TARBALL_ENTRY, runner.builderTarball ?? tarball!]] as const) {
        const { size, sha256 } = await zip.addFile(entry, file)
        files.push({ path: entry, size, sha256, fields: [] })
      }
    }
    const manifest: BuildManifest = {
      format: 1,
      id,
      createdAt,
      builder: { name: 'orchard', version: BUILDER_VERSION },
      recipe: { name: recipe.name, file: RECIPE_ENTRY, sha256: recipeHash(recipe) },
      files,
    }
    await zip.addBuffer(MANIFEST_ENTRY, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`))
    await zip.close()
    await rename(temp, dest)
    return { file: dest, id, manifest, bytes: (await stat(dest)).size }
  } catch (error) {
    await zip.abandon()
    await rm(temp, { force: true })
    throw error
  } finally {
    if (tarball) await rm(tarball, { force: true })
  }
}

export interface UploadProgress {
  bytes: number
  total: number
}

export interface UploadedBuild {
  id: string
  bucket: string
  /** builds/<id>/build.zip */
  key: string
  /** build.zip: the copy that starts the pipeline */
  triggerKey: string
}

/**
 * Uploads a packed build.zip: to builds/<id>/build.zip (multipart, progress, cancellable;
 * an aborted upload leaves no parts behind), a first status ("queued"), then a server-side
 * copy to build.zip, which starts the pipeline. The trigger appears only once everything
 * before it is in place.
 */
export async function uploadBuildZip(options: {
  client: S3Client
  bucket: string
  packed: Pick<PackedBuild, 'file' | 'id'>
  onProgress?: (progress: UploadProgress) => void
  signal?: AbortSignal
}): Promise<UploadedBuild> {
  const { client, bucket, packed, signal } = options
  checkBuildId(packed.id)
  const key = `${buildPrefix(packed.id)}build.zip`
  const total = (await stat(packed.file)).size
  if (signal?.aborted) throw new BuildError('CANCELLED', 'Upload cancelled')
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: createReadStream(packed.file), ContentType: 'application/zip', Metadata: { 'orchard-build-id': packed.id } },
    partSize: 16 << 20,
    queueSize: 4,
    leavePartsOnError: false,
  })
  upload.on('httpUploadProgress', (progress) => options.onProgress?.({ bytes: progress.loaded ?? 0, total }))
  const abort = () => void upload.abort().catch(() => {})
  signal?.addEventListener('abort', abort, { once: true })
  try {
    await s3Call(client, { action: 'PutObject', bucket, key }, () => upload.done())
  } catch (error) {
    if (signal?.aborted) throw new BuildError('CANCELLED', 'Upload cancelled')
    throw error
  } finally {
    signal?.removeEventListener('abort', abort)
  }
  options.onProgress?.({ bytes: total, total })
  const startedAt = new Date().toISOString()
  await writeStatus(client, bucket, packed.id, { id: packed.id, phase: 'queued', percent: 0, startedAt, lastLines: [] })
  try {
    if (signal?.aborted) throw new BuildError('CANCELLED', 'Upload cancelled before the build was started')
    await s3Call(client, { action: 'CopyObject', bucket, key: TRIGGER_KEY }, () =>
      client.send(new CopyObjectCommand({ Bucket: bucket, Key: TRIGGER_KEY, CopySource: `${bucket}/${key}`, MetadataDirective: 'COPY' })),
    )
  } catch (error) {
    // The build never started: say so in its status rather than leave it queued forever.
    const failed = { id: packed.id, phase: 'queued', percent: 0, startedAt, endedAt: new Date().toISOString(), result: 'failed' as const, lastLines: [] }
    await writeStatus(client, bucket, packed.id, { ...failed, error: `not started: ${(error as Error).message}` }).catch(() => {})
    throw error
  }
  return { id: packed.id, bucket, key, triggerKey: TRIGGER_KEY }
}

export interface UnpackedBuild extends LoadedRecipe {
  manifest: BuildManifest
  dir: string
}

/**
 * The cloud side: build.zip → `dir` (created; must not exist yet), every file checked against
 * build.json, the recipe loaded from it. All or nothing: a bad archive leaves no folder.
 */
export async function unpackBuildZip(zipFile: string, dir: string): Promise<UnpackedBuild> {
  const target = path.resolve(dir)
  if (await stat(target).then(() => true, () => false)) {
    if ((await readdir(target)).length) throw new BuildError('UNWRITABLE', `${target} already exists and is not empty`)
    await rm(target, { recursive: true })
  }
  await mkdir(path.dirname(target), { recursive: true })
  const temp = await mkdtemp(`${target}.partial-`)
  try {
    const extracted = new Map((await extractZip(zipFile, temp)).map((entry) => [entry.name, entry]))
    const { recipe, manifest } = await checkBuildFolder(temp, { label: zipFile, known: extracted })
    await rename(temp, target)
    return { recipe, baseDir: target, manifest, dir: target }
  } catch (error) {
    await rm(temp, { recursive: true, force: true })
    throw error
  }
}

/**
 * The checks of a build folder (an unpacked build.zip; in CodeBuild, the source folder the
 * pipeline unpacked): build.json read, every file it lists present with its size and
 * SHA256 (`known`: hashes already computed while extracting), no plaintext secret in the
 * recipe, and every file the recipe names one of the archive's own. Throws a BuildError.
 */
export async function checkBuildFolder(
  dir: string,
  options: { label?: string; known?: ReadonlyMap<string, { size: number; sha256: string }> } = {},
): Promise<{ recipe: LoadedRecipe['recipe']; manifest: BuildManifest }> {
  const label = options.label ?? dir
  const exists = (name: string) => stat(path.join(dir, name)).then((s) => s.isFile(), () => false)
  if (!(await exists(MANIFEST_ENTRY)) || !(await exists(RECIPE_ENTRY))) throw new BuildError('INVALID_INPUT', `${label} is not a build.zip: it needs ${RECIPE_ENTRY} and ${MANIFEST_ENTRY}`)
  let json: unknown
  try {
    json = JSON.parse(await readFile(path.join(dir, MANIFEST_ENTRY), 'utf8'))
  } catch {
    throw new BuildError('INVALID_INPUT', `${label}: ${MANIFEST_ENTRY} is not JSON`)
  }
  const parsed = BuildManifestSchema.safeParse(json)
  if (!parsed.success) throw new BuildError('INVALID_INPUT', `${label}: ${MANIFEST_ENTRY} is not a build manifest: ${parsed.error.issues[0]?.message}`)
  const manifest = parsed.data
  for (const file of manifest.files) {
    const named = file.fields.length ? ` (named by ${file.fields.join(', ')})` : ''
    if (path.posix.isAbsolute(file.path) || file.path.split('/').includes('..')) throw new BuildError('INVALID_INPUT', `${label}: ${MANIFEST_ENTRY} names ${file.path}, outside the archive`)
    let entry = options.known?.get(file.path)
    if (!entry && !options.known) {
      const full = path.join(dir, file.path)
      const info = await stat(full).catch(() => null)
      if (info?.isFile()) entry = { size: info.size, sha256: info.size === file.size ? await sha256File(full) : '' }
    }
    if (!entry) throw new BuildError('INVALID_INPUT', `${label}: ${file.path}${named} is missing`)
    if (entry.sha256 !== file.sha256 || entry.size !== file.size) throw new BuildError('CHECKSUM_MISMATCH', `${label}: ${file.path} does not match its SHA256 in ${MANIFEST_ENTRY}`, { expected: file.sha256, actual: entry.sha256 })
  }
  const recipeText = await readFile(path.join(dir, RECIPE_ENTRY), 'utf8')
  const plaintext = plaintextSecretFields(YAML.parse(recipeText))
  if (plaintext.length) {
    throw new BuildError('INVALID_INPUT', `${label}: the recipe holds a plaintext secret (${plaintext.join(', ')}); a build.zip must carry only sealed forms (password hashes, the wifi PSK)`)
  }
  // Loading checks the schema and that every file the recipe names is there; each must
  // also be one of the archive's own files (not a path elsewhere on the build machine).
  const { recipe } = await loadRecipe(path.join(dir, RECIPE_ENTRY))
  const packedFiles = new Set(manifest.files.map((file) => file.path))
  for (const { field, file } of referencedFiles(recipe)) {
    const relative = path.relative(dir, path.resolve(dir, file)).split(path.sep).join('/')
    if (!packedFiles.has(relative)) throw new BuildError('INVALID_INPUT', `${label}: ${field} names ${file}, which is not one of the files in the build.zip`)
  }
  return { recipe, manifest }
}
