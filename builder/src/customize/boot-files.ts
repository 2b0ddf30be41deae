/**
 * The release's own first-boot files on the boot partition, so the recipe takes effect
 * where a release has its own first-boot tooling (Bookworm's userconf-pi, the `ssh` flag
 * file, cloud-init's user-data) and that tooling does not stop boot to ask for a user.
 * Each feature says what it needs (`bootFiles`, `cloudConfig`).
 */
import YAML from 'yaml'
import type { BootFile } from '../features/feature'
import { features } from '../features/registry'
import type { ReleaseTraits } from '../image/traits'
import type { SealedRecipe } from '../recipe/schema'

export function nativeBootFiles(recipe: SealedRecipe, traits: ReleaseTraits): BootFile[] {
  const files = features.flatMap((feature) => feature.bootFiles?.(recipe, { traits }) ?? [])
  if (traits.cloudInit) files.push({ path: '/user-data', content: cloudConfig(recipe) })
  return files
}

/** cloud-init's user-data: every feature's keys, merged (two features may share a key such as `rpi`). */
export function cloudConfig(recipe: SealedRecipe): string {
  const config = features.reduce<Record<string, unknown>>((merged, feature) => mergeConfig(merged, feature.cloudConfig?.(recipe) ?? {}), {})
  const header = '#cloud-config\n# Written by Orchard. first_run_setup.sh applies the same settings again.\n'
  return Object.keys(config).length ? `${header}${YAML.stringify(config, { lineWidth: 0 })}` : header
}

function mergeConfig(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...into }
  for (const [key, value] of Object.entries(from)) {
    const current = merged[key]
    if (Array.isArray(current) && Array.isArray(value)) merged[key] = [...current, ...value]
    else if (isObject(current) && isObject(value)) merged[key] = mergeConfig(current, value)
    else merged[key] = value
  }
  return merged
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
