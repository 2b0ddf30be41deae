/** What is in an image: partitions, release traits, startup-scripts, build info. Read-only. */
import { withExt } from './image/ext'
import { withFat, type FatFs } from './image/fat'
import { withImage } from './image/open'
import type { PartitionTable } from './image/partitions'
import { detectTraits, type ReleaseTraits } from './image/traits'
import type { BuildInfo } from './customize/buildinfo'

export interface StartupFile {
  path: string
  size: number
}

export interface ImageReport {
  file: string
  bytes: number
  table: PartitionTable
  boot: { index: number; label: string }
  root: { index: number; label: string }
  release: ReleaseTraits
  startupScripts: StartupFile[] | null
  buildInfo: BuildInfo | null
}

export async function inspectImage(file: string): Promise<ImageReport> {
  return withImage(file, 'read', async (image) => {
    const release = await withExt(image.disk, image.root, detectTraits)
    const { startupScripts, buildInfo } = await withFat(image.disk, image.boot, async (fat) => ({
      startupScripts: (await fat.exists('/startup-scripts')) ? await walk(fat, '/startup-scripts') : null,
      buildInfo: (await fat.exists('/buildinfo/buildinfo.json'))
        ? (JSON.parse((await fat.readFile('/buildinfo/buildinfo.json')).toString('utf8')) as BuildInfo)
        : null,
    }))
    return {
      file,
      bytes: image.capacity,
      table: image.table,
      boot: { index: image.boot.index, label: image.boot.label },
      root: { index: image.root.index, label: image.root.label },
      release,
      startupScripts,
      buildInfo,
    }
  })
}

/** Every file and folder under `dir`, folders ending in `/`. */
async function walk(fat: FatFs, dir: string): Promise<StartupFile[]> {
  const out: StartupFile[] = []
  for (const entry of await fat.list(dir)) {
    const full = `${dir}/${entry.name}`
    if (entry.isDirectory) out.push({ path: `${full}/`, size: 0 }, ...(await walk(fat, full)))
    else out.push({ path: full, size: entry.size })
  }
  return out
}
