/**
 * Packing build.zip on this machine (layout: ../build-zip.ts): the recipe sealed before anything
 * is packed, every file it names, build.json, and what runs the build in the cloud.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import YAML from 'yaml'
import { recipeHash, referencedFiles, type LoadedRecipe } from '../../recipe/load'
import { recipeFiles } from '../../recipe/recipe-files'
import type { RecipeInput, SealedRecipe } from '../../recipe/schema'
import { sealRecipe } from '../../recipe/secrets'
import { BuildError } from '../../util/errors'
import { BUILDER_VERSION } from '../../util/version'
import { MANIFEST_ENTRY, RECIPE_ENTRY, type BuildManifest } from '../build-zip'
import { checkBuildId } from '../build-keys'
import { ZipWriter } from '../zip'
import { BUILDER_TARBALL_ENTRY, BUILDSPEC_ENTRY, BUILDSPEC_FILE, packBuilderTarball } from './builder-tarball'

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
  // Every file is inside the archive now: the folders the recipe allowed on this machine mean nothing there.
  delete data.allowFilesOutside
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
  // Confined to the recipe's folder, regular files, present (recipe/recipe-files.ts).
  const carried = await recipeFiles(recipe, baseDir)
  const createdAt = (options.now ?? new Date()).toISOString()

  // Each distinct file once, however many fields name it.
  const byFull = new Map<string, { zipPath: string; fields: string[] }>()
  const zipPathOf = new Map<string, string>()
  let outside = 0
  for (const { field, file, path: full } of carried) {
    const known = byFull.get(full)
    if (known) known.fields.push(field)
    else byFull.set(full, { zipPath: zipPathFor(baseDir, file, () => ++outside), fields: [field] })
    zipPathOf.set(field, byFull.get(full)!.zipPath)
  }
  const sealed = sealRecipe(recipe)
  const data = sealedRecipeData(sealed, (field) => zipPathOf.get(field)!)
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
      // The source image may come from anywhere because its SHA256 pins it: a file that does not match is not carried.
      if (fields.includes('source.path') && sha256 !== recipe.source.sha256.toLowerCase()) {
        throw new BuildError('CHECKSUM_MISMATCH', `SHA256 mismatch for ${full} (source.path): expected ${recipe.source.sha256.toLowerCase()}, got ${sha256}`, { expected: recipe.source.sha256, actual: sha256 })
      }
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
