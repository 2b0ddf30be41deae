/** The images in the output folder (built here or downloaded from a cloud build): size, SHA256 and build info from the files beside each. */
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { LibraryImage, Output } from '@common/contract'

const IMAGE = /\.img(\.xz)?$/

export async function listLibrary(dir: string): Promise<Output<'library.list'>> {
  const names = await readdir(dir).catch(() => [] as string[])
  const images: LibraryImage[] = []
  for (const name of names.filter((n) => IMAGE.test(n))) {
    const full = path.join(dir, name)
    const info = await stat(full).catch(() => null)
    if (!info?.isFile()) continue
    const sha = await readFile(`${full}.sha256`, 'utf8').catch(() => null)
    const base = name.replace(IMAGE, '')
    // A downloaded image has its own <base>.buildinfo.json; a local build writes one buildinfo.json
    // per folder (the last build's): either belongs to this image only if it names it.
    const readInfo = (file: string) =>
      readFile(path.join(dir, file), 'utf8')
        .then((text) => JSON.parse(text) as { name?: unknown })
        .catch(() => null)
    const own = await readInfo(`${base}.buildinfo.json`)
    const info2 = own?.name === base ? own : await readInfo('buildinfo.json')
    const buildInfo = info2?.name === base ? info2 : null
    images.push({ path: full, name, bytes: info.size, modified: info.mtime.toISOString(), sha256: sha?.trim().split(/\s+/)[0] ?? null, buildInfo })
  }
  return { images: images.sort((a, b) => b.modified.localeCompare(a.modified)) }
}
