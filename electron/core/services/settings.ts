/** The app's settings and last recipe, kept as JSON in the user's data dir (written atomically). */
import { mkdir, readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../../../builder/src/util/temp'
import path from 'node:path'
import { dataDir } from '../../../builder/src/util/paths'
import { Settings } from '@common/contract'
import { OFFICIAL_RELEASES } from './releases'

export function defaultSettings(dir: string): Settings {
  return {
    outDir: path.join(dir, 'images'),
    lastRecipePath: null,
    lastRecipeYaml: null,
    theme: 'system',
    notifyWhenDone: true,
    recentSources: [],
    releases: OFFICIAL_RELEASES,
    cloud: { region: null, profile: null, bucket: null, stack: null, endpoint: null, signingKey: null },
  }
}

export function createSettingsService(dir = dataDir()) {
  const file = path.join(dir, 'settings.json')
  // Writes run one after another so two quick changes cannot interleave.
  let queue: Promise<unknown> = Promise.resolve()

  async function get(): Promise<Settings> {
    const text = await readFile(file, 'utf8').catch(() => null)
    const defaults = defaultSettings(dir)
    if (text === null) return defaults
    try {
      // A damaged or older file keeps what still fits; the rest falls back to defaults.
      const stored = JSON.parse(text) as Record<string, unknown>
      const merged = { ...defaults }
      for (const key of Object.keys(defaults) as (keyof Settings)[]) {
        const field = Settings.shape[key].safeParse(stored[key])
        if (field.success) (merged as Record<string, unknown>)[key] = field.data
      }
      return merged
    } catch {
      return defaults
    }
  }

  function set(changes: Partial<Settings>): Promise<Settings> {
    const next = queue.then(async () => {
      const settings = { ...(await get()), ...changes }
      if (changes.recentSources) settings.recentSources = [...new Set(changes.recentSources)].slice(0, 10)
      await mkdir(dir, { recursive: true })
      await writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`)
      return settings
    })
    queue = next.catch(() => {})
    return next
  }

  return { get, set }
}
