/**
 * The quick customization: everything a recipe asks that needs no ARM code run, written
 * straight into the image's FAT and ext4 partitions (no root, no Docker, any OS).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { BuildError } from '../util/errors'
import { extReadText, extSymlink, extWriteFile, withExt, type ExtFs } from '../image/ext'
import { withFat, type FatFs } from '../image/fat'
import type { DiskImage } from '../image/open'
import { detectTraits, type ReleaseTraits } from '../image/traits'
import { RC_LOCAL_LINE, rcLocalWithHook, ROOTFS_DIR, RUNNER_PATH, UNIT_NAME } from './runner-files'
import { buildInfoText, describeCustomizations, type BuildInfo } from './buildinfo'
import { firstRunScript } from './first-run'
import { nativeBootFiles } from './boot-files'
import type { SealedRecipe } from './seal'

export const STARTUP_DIRS = ['run-once', 'every-time', 'ran-once', 'failed', 'logs', 'resources'] as const
export const FIRST_RUN_SCRIPT = 'first_run_setup.sh'

export interface CustomizeOptions {
  image: DiskImage
  recipe: SealedRecipe
  /** Relative paths in the recipe are relative to this folder. */
  baseDir: string
  /** Build info without the parts only customization knows (release, customizations). */
  info: Omit<BuildInfo, 'release' | 'customizations'>
  onStep?: (message: string) => void
}

export async function customizeImage({ image, recipe, baseDir, info, onStep = () => {} }: CustomizeOptions): Promise<BuildInfo> {
  const scripts = await collectBootScripts(recipe, baseDir)
  let traits!: ReleaseTraits
  await withExt(image.disk, image.root, async (fs) => {
    traits = await detectTraits(fs)
    if (traits.arch !== 'unknown' && traits.arch !== recipe.arch) {
      throw new BuildError('INVALID_IMAGE', `The recipe says arch ${recipe.arch} but the image's programs are ${traits.arch}`)
    }
    onStep(`release: ${traits.release} (${traits.arch}), boot at ${traits.bootMount}, ${traits.init}, network ${traits.network}`)
    await installRunner(fs, traits)
    onStep(`startup-scripts runner installed (${traits.init === 'systemd' ? UNIT_NAME : '/etc/rc.local'})`)
    await writeRootFiles(fs, recipe, baseDir, onStep)
  })

  const buildInfo: BuildInfo = { ...info, release: traits, customizations: describeCustomizations(recipe) }
  await withFat(image.disk, image.boot, async (fat) => {
    for (const dir of STARTUP_DIRS) await fat.mkdirp(`/startup-scripts/${dir}`)
    await fat.writeFile(`/startup-scripts/run-once/${FIRST_RUN_SCRIPT}`, firstRunScript(recipe, traits, info.builder.version))
    for (const script of scripts) await fat.writeFile(`/startup-scripts/${script.dir}/${script.name}`, script.content)
    onStep(`startup-scripts: ${FIRST_RUN_SCRIPT}${scripts.length ? ` + ${scripts.length} file(s)` : ''}`)
    for (const file of nativeBootFiles(recipe, traits)) await fat.writeFile(file.path, file.content)
    await writeBootFiles(fat, recipe, baseDir)
    await fat.mkdirp('/buildinfo')
    await fat.writeFile('/buildinfo/buildinfo.txt', buildInfoText(buildInfo))
    await fat.writeFile('/buildinfo/buildinfo.json', `${JSON.stringify(buildInfo, null, 2)}\n`)
  })
  return buildInfo
}

interface BootScript {
  dir: 'run-once' | 'every-time' | 'resources'
  name: string
  content: Buffer
}

/** The recipe's scripts and resources, read up front so a missing file fails before any write. */
async function collectBootScripts(recipe: SealedRecipe, baseDir: string): Promise<BootScript[]> {
  const lists: [BootScript['dir'], string, string[]][] = [
    ['run-once', 'firstBoot', recipe.firstBoot],
    ['run-once', 'startupScripts.runOnce', recipe.startupScripts.runOnce],
    ['every-time', 'startupScripts.everyTime', recipe.startupScripts.everyTime],
    ['resources', 'startupScripts.resources', recipe.startupScripts.resources],
  ]
  const scripts: BootScript[] = []
  const taken = new Map<string, string>([[`run-once/${FIRST_RUN_SCRIPT}`, 'the generated first-boot script']])
  for (const [dir, field, files] of lists) {
    for (const [index, file] of files.entries()) {
      const name = path.basename(file)
      const key = `${dir}/${name}`.toLowerCase() // FAT names are case-insensitive
      const clash = taken.get(key)
      if (clash) throw new BuildError('INVALID_RECIPE', `${field}[${index}]: "${name}" would replace ${clash} in startup-scripts/${dir}`)
      taken.set(key, `${field}[${index}]`)
      scripts.push({ dir, name, content: await readRecipeFile(baseDir, file, `${field}[${index}]`) })
    }
  }
  return scripts
}

async function readRecipeFile(baseDir: string, file: string, field: string): Promise<Buffer> {
  const full = path.resolve(baseDir, file)
  return readFile(full).catch(() => {
    throw new BuildError('NOT_FOUND', `${field}: file not found: ${full}`)
  })
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

function parseMode(mode: string): number {
  return Number.parseInt(mode, 8)
}

async function writeRootFiles(fs: ExtFs, recipe: SealedRecipe, baseDir: string, onStep: (message: string) => void): Promise<void> {
  for (const [index, file] of recipe.files.entries()) {
    if (file.partition !== 'root') continue
    const content = file.content ?? (await readRecipeFile(baseDir, file.source!, `files[${index}].source`))
    const [uid, gid] = file.owner.split(':').map(Number) as [number, number]
    await extWriteFile(fs, file.target, content, parseMode(file.mode), [uid, gid])
    onStep(`file ${file.target}`)
  }
}

async function writeBootFiles(fat: FatFs, recipe: SealedRecipe, baseDir: string): Promise<void> {
  for (const [index, file] of recipe.files.entries()) {
    if (file.partition !== 'boot') continue
    const content = file.content ?? (await readRecipeFile(baseDir, file.source!, `files[${index}].source`))
    await fat.mkdirp(path.posix.dirname(file.target))
    await fat.writeFile(file.target, content)
  }
}
