/** What the app remembers between runs, and the images in its output folder (the library). */
import { z } from 'zod'
import { ImageArch } from '../../../builder/src/vocabulary'
import { CloudSettings } from './cloud'
import { FilePath, NoInput, type ProcedureMap } from './shared'

/** What the app remembers between runs (core keeps it in the user's data dir). */
export const Settings = z.object({
  /** Where builds write their images. */
  outDir: z.string(),
  /** The recipe last opened or saved, and its text when it was last edited (drafts survive a restart). */
  lastRecipePath: z.string().nullable(),
  lastRecipeYaml: z.string().nullable(),
  theme: z.enum(['system', 'light', 'dark']),
  notifyWhenDone: z.boolean(),
  /** Local image files picked as sources, newest first. */
  recentSources: z.array(z.string()),
  /** The source picker's list of official releases (editable). */
  releases: z.array(z.object({ label: z.string(), url: z.string(), sha256: z.string(), arch: ImageArch })),
  cloud: CloudSettings,
})
export type Settings = z.infer<typeof Settings>

export const LibraryImage = z.object({
  path: z.string(),
  name: z.string(),
  bytes: z.number(),
  modified: z.string(),
  sha256: z.string().nullable(),
  /** buildinfo.json beside the image, when there is one. */
  buildInfo: z.unknown().nullable(),
})
export type LibraryImage = z.infer<typeof LibraryImage>

export const settingsProcedures = {
  'settings.get': { input: NoInput, output: Settings },
  /** Merges and saves; returns the whole settings. */
  'settings.set': { input: Settings.partial().strict(), output: Settings },
  /** Images in the output folder (built here or downloaded), newest first. */
  'library.list': { input: z.object({ dir: FilePath.optional() }).strict(), output: z.object({ images: z.array(LibraryImage) }) },
} as const satisfies ProcedureMap
