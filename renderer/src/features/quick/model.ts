/**
 * The quick path's state (kept in the wizard so leaving the screen or flashing the next batch
 * keeps it) and how it becomes a recipe: the same recipe format as the Recipe step, with the
 * chosen image as its source, validated by core like any other.
 */
import { prune, type RecipeDraft } from '../recipe/draft'

export interface QuickImage {
  /** The image file as chosen (.img, .img.xz, .zip). */
  path: string
  sha256: string
  bytes: number
  arch: 'arm64' | 'armhf'
  /** Where it came from, for the heading: a catalog entry's name, or the file's. */
  label: string
}

export interface QuickState {
  image: QuickImage | null
  /** The everyday settings, held at the recipe's own paths (system.hostname, users.0.name, wifi.ssid …). */
  settings: RecipeDraft
  verify: boolean
  /** Devices flashed in earlier batches: the next batch takes the rows after them. */
  flashedDevices: number
}

export const QUICK_RECIPE_NAME = 'quick-flash'

export const emptyQuick = (): QuickState => ({ image: null, settings: { users: [{ name: '', sudo: true }] }, verify: true, flashedDevices: 0 })

/** A user is in the recipe only when something of it was given (its `sudo: true` alone is not a user). */
function withoutBlankUser(settings: RecipeDraft): RecipeDraft {
  const users = Array.isArray(settings.users) ? (settings.users as Record<string, unknown>[]) : []
  const given = users.filter((user) => Object.entries(user).some(([key, value]) => key !== 'sudo' && prune(value) !== undefined))
  return { ...settings, users: given.length ? given : undefined }
}

/** The settings with nothing empty: an empty object means a plain copy (no recipe at all). */
export const chosenSettings = (settings: RecipeDraft): RecipeDraft => (prune(withoutBlankUser(settings)) ?? {}) as RecipeDraft

/** The recipe the flash applies: the chosen image is its source. */
export function quickRecipe(image: QuickImage | null, settings: RecipeDraft): RecipeDraft {
  return {
    name: QUICK_RECIPE_NAME,
    description: 'Settings chosen on the Quick flash screen, applied on the way to the cards',
    arch: image?.arch ?? 'arm64',
    source: { path: image?.path ?? '', sha256: image?.sha256 ?? '' },
    ...chosenSettings(settings),
  }
}

/** `/a/b/raspios.img.xz` → `raspios.img.xz` (renderer code has no `path` module). */
export const fileName = (file: string) => file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1)
