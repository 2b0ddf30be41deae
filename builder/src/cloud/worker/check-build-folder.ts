/**
 * The cloud side's checks of a build folder (layout: ../build-zip.ts) before anything is built from
 * it: every file as build.json lists it, no plaintext secret, only the archive's own files named.
 */
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import YAML from 'yaml'
import { loadRecipe, referencedFiles, type LoadedRecipe } from '../../recipe/load'
import { plaintextSecretFields } from '../../recipe/secrets'
import { BuildError } from '../../util/errors'
import { sha256File } from '../../util/hash'
import { BuildManifestSchema, MANIFEST_ENTRY, RECIPE_ENTRY, type BuildManifest } from '../build-zip'

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
