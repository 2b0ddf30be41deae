/**
 * Customising an image: everything a recipe asks that needs no ARM code run, written
 * straight into the image's ext4 and FAT partitions (no root, no Docker, any OS). Every
 * build mode ends here, after its ARM steps. The startup-scripts runner and
 * first_run_setup.sh are always installed; the rest is each feature's (features/registry.ts).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { WriteContext } from '../features/feature'
import { features } from '../features/registry'
import { extReadText, extSymlink, extWriteFile, withExt, type ExtFs } from '../image/ext'
import { withFat } from '../image/fat'
import type { DiskImage } from '../image/open'
import { detectImageTraits, type ReleaseTraits } from '../image/traits'
import { readRecipeFile as readConfinedFile } from '../recipe/recipe-files'
import type { SealedRecipe } from '../recipe/schema'
import { BuildError } from '../util/errors'
import { buildInfoText, describeCustomizations, type BuildInfo } from './buildinfo'
import { nativeBootFiles } from './boot-files'
import { firstRunScript } from './first-run'
import { installedPackages } from './installed-packages'
import { FIRST_RUN_SCRIPT, RC_LOCAL_LINE, rcLocalWithHook, ROOTFS_DIR, RUNNER_PATH, STARTUP_DIRS, UNIT_NAME } from './runner-files'

export interface CustomizeOptions {
  image: DiskImage
  recipe: SealedRecipe
  /** Relative paths in the recipe are relative to this folder. */
  baseDir: string
  /** Build info without the parts only customization knows (release, customizations, packages). */
  info: Omit<BuildInfo, 'release' | 'customizations' | 'packages'>
  /** The time every file written on both partitions gets (build-time.ts); the clock's when absent. */
  time?: Date
  onStep?: (message: string) => void
}

export async function customizeImage({ image, recipe, baseDir, info, time, onStep = () => {} }: CustomizeOptions): Promise<BuildInfo> {
  // Every recipe file is checked again as it is read: confined to the recipe's folder (recipe/recipe-files.ts).
  const readRecipeFile = (file: string, field: string) => readConfinedFile(recipe, baseDir, file, field)
  const traits = await detectImageTraits(image, time)
  let packages: BuildInfo['packages'] = {}
  await withExt(image.disk, image.root, async (fs) => {
    packages = (await installedPackages(fs)) ?? {}
    if (traits.arch !== 'unknown' && traits.arch !== recipe.arch) {
      throw new BuildError('INVALID_IMAGE', `The recipe says arch ${recipe.arch} but the image's programs are ${traits.arch}`)
    }
    onStep(`release: ${traits.release} (${traits.arch}), shape ${traits.shape}: settings applied by ${traits.firstBoot}, boot at ${traits.bootMount}, ${traits.init}, network ${traits.network}`)
    await installRunner(fs, traits)
    onStep(`startup-scripts runner installed (${traits.init === 'systemd' ? UNIT_NAME : '/etc/rc.local'})`)
    const context: WriteContext = { traits, readRecipeFile, onStep }
    for (const feature of features) await feature.writeRoot?.(recipe, fs, context)
  }, time)

  const buildInfo: BuildInfo = { ...info, release: traits, customizations: describeCustomizations(recipe), packages }
  await withFat(image.disk, image.boot, async (fat) => {
    for (const dir of STARTUP_DIRS) await fat.mkdirp(`/startup-scripts/${dir}`)
    await fat.writeFile(`/startup-scripts/run-once/${FIRST_RUN_SCRIPT}`, firstRunScript(recipe, traits, info.builder.version))
    onStep(`startup-scripts: ${FIRST_RUN_SCRIPT}`)
    for (const file of nativeBootFiles(recipe, traits, info.recipeSha256)) await fat.writeFile(file.path, file.content)
    const context: WriteContext = { traits, readRecipeFile, onStep }
    for (const feature of features) await feature.writeBoot?.(recipe, fat, context)
    await fat.mkdirp('/buildinfo')
    await fat.writeFile('/buildinfo/buildinfo.txt', buildInfoText(buildInfo))
    await fat.writeFile('/buildinfo/buildinfo.json', `${JSON.stringify(buildInfo, null, 2)}\n`)
  }, time)
  return buildInfo
}

async function installRunner(fs: ExtFs, traits: ReleaseTraits): Promise<void> {
  const runner = await readFile(path.join(ROOTFS_DIR, RUNNER_PATH))
  await extWriteFile(fs, RUNNER_PATH, runner, 0o755)
  if (traits.init === 'systemd') {
    const unitPath = `/etc/systemd/system/${UNIT_NAME}`
    await extWriteFile(fs, unitPath, await readFile(path.join(ROOTFS_DIR, unitPath)), 0o644)
    // What `systemctl enable` does for WantedBy=multi-user.target.
    await extSymlink(fs, unitPath, `/etc/systemd/system/multi-user.target.wants/${UNIT_NAME}`)
  } else {
    const current = await extReadText(fs, '/etc/rc.local')
    if (!current?.includes(RC_LOCAL_LINE)) await extWriteFile(fs, '/etc/rc.local', rcLocalWithHook(current), 0o755)
  }
}
