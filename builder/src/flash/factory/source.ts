/**
 * The one source every slot reads. A compressed image is decompressed once and kept in the
 * cache (keyed by the SHA256 of the file given), so no slot ever waits on decompression and a
 * restarted run starts writing at once. An uncompressed image is read where it is.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { sniffFormat } from '../../source/decompress'
import { sha256File } from '../../util/hash'
import { prepareSource, type PreparedSource } from '../write'

interface Kept {
  sha256: string
  size: number
}

export async function factorySource(image: string, cache: string, signal?: AbortSignal): Promise<PreparedSource> {
  if ((await sniffFormat(image).catch(() => 'unknown')) !== 'img') {
    const dir = path.join(cache, 'factory-sources')
    const key = await sha256File(image, { signal }).catch(() => null)
    if (key) {
      const raw = path.join(dir, `${key}.img`)
      const meta = path.join(dir, `${key}.json`)
      const kept = await readKept(meta)
      if (kept && (await stat(raw).catch(() => null))?.size === kept.size) return { original: image, raw, temporary: false, ...kept }
      const fresh = await prepareSource(image, cache, signal)
      await mkdir(dir, { recursive: true })
      await rename(fresh.raw, raw)
      // The image first, then what says it is whole: a crash in between leaves nothing trusted.
      await writeFile(meta, JSON.stringify({ sha256: fresh.sha256, size: fresh.size } satisfies Kept))
      return { ...fresh, raw, temporary: false }
    }
  }
  // An uncompressed image, or one prepareSource refuses with the reason.
  return prepareSource(image, cache, signal)
}

async function readKept(file: string): Promise<Kept | null> {
  try {
    const kept = JSON.parse(await readFile(file, 'utf8')) as Kept
    return typeof kept.sha256 === 'string' && Number.isSafeInteger(kept.size) ? kept : null
  } catch {
    return null
  }
}
