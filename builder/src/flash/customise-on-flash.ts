/**
 * Customising on the way to the cards: the recipe's quick customisation runs against a
 * copy-on-write view of the stock image (open.ts), and what it wrote is saved as an edit list
 * (edit-list.ts) beside the prepared source. The source is never changed; the flash reads it
 * with the edits laid over it (edited-source.ts). No intermediate image is written.
 */
import path from 'node:path'
import { buildTime } from '../customize/build-time'
import { buildInfoSource } from '../customize/buildinfo'
import { customizeImage } from '../customize/customize'
import { withImage } from '../image/open'
import { parseRecipeYaml, readRecipeText, recipeHash, type LoadedRecipe } from '../recipe/load'
import { recipeFiles } from '../recipe/recipe-files'
import { armWork } from '../recipe/schema'
import { sealRecipe } from '../recipe/secrets'
import { BuildError } from '../util/errors'
import { BUILDER_VERSION } from '../util/version'
import { editsOf, writeEditList } from './edit-list'

export interface FlashRecipe {
  loaded: LoadedRecipe
  /** The recipe file, for the command a refusal suggests. */
  file: string
}

/**
 * A recipe file for a flash: read and validated like any recipe, but the files it names are
 * checked by checkFlashRecipe, without its source (the image given to the flash is the source).
 */
export async function loadFlashRecipe(file: string): Promise<FlashRecipe> {
  const text = await readRecipeText(file)
  return { loaded: { recipe: parseRecipeYaml(text, path.basename(file)), baseDir: path.dirname(path.resolve(file)) }, file }
}

/**
 * A recipe that needs ARM code run cannot be applied on the way to a card: refused, saying what
 * needs it and the command that builds it, before a source is read or a card touched. Every file
 * the recipe's features name is checked here too.
 */
export async function checkFlashRecipe({ loaded, file }: FlashRecipe): Promise<void> {
  const needsArm = armWork(loaded.recipe)
  if (needsArm.length) {
    throw new BuildError(
      'INVALID_RECIPE',
      `This recipe needs ARM code to run (${needsArm.join(', ')}), which cannot be done on the way to the cards. ` +
        `Build the image first, then flash it: orchard build ${file} --out <dir> --mode docker`,
      { needsArm },
    )
  }
  // The image given to the flash is the source: the recipe's own source file need not exist.
  await recipeFiles({ ...loaded.recipe, source: { sha256: loaded.recipe.source.sha256 } }, loaded.baseDir)
}

export interface CustomisedSource {
  /** The edit list's path. */
  edits: string
  recipeSha256: string
}

/** Runs the quick customisation over `raw` without changing it; the edits land in `editsFile`. */
export async function customiseSource(
  recipe: FlashRecipe,
  source: { original: string; raw: string; sha256: string; size: number },
  editsFile: string,
  onStep: (message: string) => void = () => {},
): Promise<CustomisedSource> {
  const { recipe: plain, baseDir } = recipe.loaded
  const recipeSha256 = recipeHash(plain)
  await withImage(source.raw, 'copyOnWrite', async (image) => {
    // One time for everything written (build-time.ts): cards from the same recipe and source get the same bytes.
    const { time, from } = await buildTime(image.disk, image.root)
    onStep(`build time ${time.toISOString()} (${from})`)
    await customizeImage({
      image,
      recipe: sealRecipe(plain),
      baseDir,
      time,
      info: {
        name: plain.name,
        builder: { name: 'orchard', version: BUILDER_VERSION },
        mode: 'quick',
        builtAt: time.toISOString(),
        source: buildInfoSource({}, path.resolve(source.original), source.sha256),
        recipeSha256,
      },
      onStep,
    })
    // With recordWrites and no recordReads, the known chunks are exactly the edits, sorted.
    await writeEditList(editsFile, { sourceSize: source.size, sourceSha256: source.sha256, edits: editsOf(image.disk.knownChunks) })
  })
  return { edits: editsFile, recipeSha256 }
}
