/** What is in an image (or a card): partitions, release traits, startup-scripts, build info. Read-only. */
import { withCard, type CardEntry } from '../flash/card'
import type { BuildInfo } from '../customize/buildinfo'
import { BuildError } from '../util/errors'
import { withImage } from './open'
import type { PartitionTable } from './partitions'
import { detectImageTraits, type ReleaseTraits } from './traits'

export interface ImageReport {
  file: string
  bytes: number
  table: PartitionTable
  boot: { index: number; label: string }
  root: { index: number; label: string }
  release: ReleaseTraits
  /** Everything under /startup-scripts, or null when the image has none. */
  startupScripts: CardEntry[] | null
  buildInfo: BuildInfo | null
}

export async function inspectImage(file: string): Promise<ImageReport> {
  const { table, capacity, boot, root, release } = await withImage(file, 'read', async (image) => ({
    ...image,
    release: await detectImageTraits(image),
  }))
  const { startupScripts, buildInfo } = await withCard(file, 'read', async (card) => ({
    startupScripts: await card.list().catch((error: unknown) => {
      if (error instanceof BuildError && error.code === 'NOT_FOUND') return null
      throw error
    }),
    buildInfo: (await card.buildInfo()) as BuildInfo | null,
  }))
  return {
    file,
    bytes: capacity,
    table,
    boot: { index: boot.index, label: boot.label },
    root: { index: root.index, label: root.label },
    release,
    startupScripts,
    buildInfo,
  }
}
