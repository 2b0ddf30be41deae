/**
 * The release's own first-boot files on the boot partition. Where cloud-init applies the
 * settings (`traits.firstBoot === 'cloud-init'`, its NoCloud seed on the boot partition):
 * its seed, `user-data`, `network-config` (netplan v2) and `meta-data` with an instance id
 * from the recipe's hash, so a build is reproducible and cloud-init runs its per-instance
 * work once. Elsewhere the files a release's own tooling reads (userconf.txt).
 * Each feature says what it needs (`bootFiles`, `cloudConfig`, `networkConfig`).
 */
import YAML from 'yaml'
import type { BootFile } from '../features/feature'
import { features } from '../features/registry'
import type { ReleaseTraits } from '../image/traits'
import type { SealedRecipe } from '../recipe/schema'

/** The seed files that carry secrets (password hashes, the WPA PSK): the runner scrubs them once cloud-init has them. */
export const SECRET_SEED_FILES = ['/user-data', '/network-config'] as const

export function nativeBootFiles(recipe: SealedRecipe, traits: ReleaseTraits, recipeSha256: string): BootFile[] {
  const files = features.flatMap((feature) => feature.bootFiles?.(recipe, { traits }) ?? [])
  if (traits.firstBoot !== 'cloud-init') return files
  files.push({ path: '/user-data', content: cloudConfig(recipe) })
  const network = networkConfig(recipe)
  // Without network settings the release's own (commented) network-config stays.
  if (network) files.push({ path: '/network-config', content: network })
  files.push({ path: '/meta-data', content: metaData(recipeSha256) })
  return files
}

/** A name for the build cloud-init sees as its instance: the same recipe, the same id. */
export function instanceId(recipeSha256: string): string {
  if (!/^[0-9a-f]{16,}$/.test(recipeSha256)) throw new Error(`instanceId: expected a recipe SHA256, got "${recipeSha256}"`)
  return `orchard-${recipeSha256.slice(0, 16)}`
}

/**
 * NoCloud's meta-data. cloud-init reads `instance-id`; Raspberry Pi OS's own file spells it
 * `instance_id`, so both are written with the same value.
 */
export function metaData(recipeSha256: string): string {
  const id = instanceId(recipeSha256)
  return `# Written by Orchard: a new instance id makes cloud-init apply user-data and network-config once.\ndsmode: local\ninstance-id: ${id}\ninstance_id: ${id}\n`
}

/** Every feature's user-data keys, merged (two features may share a key such as `rpi`). */
export function cloudConfigData(recipe: SealedRecipe): Record<string, unknown> {
  return features.reduce<Record<string, unknown>>((merged, feature) => mergeConfig(merged, feature.cloudConfig?.(recipe) ?? {}), {})
}

/** Every feature's network-config (netplan v2, what goes under `network:`), or null when none has any. */
export function networkConfigData(recipe: SealedRecipe): Record<string, unknown> | null {
  const network = features.reduce<Record<string, unknown>>((merged, feature) => mergeConfig(merged, feature.networkConfig?.(recipe) ?? {}), {})
  return Object.keys(network).length ? { version: 2, renderer: 'NetworkManager', ...network } : null
}

/** cloud-init's user-data: every feature's keys. */
export function cloudConfig(recipe: SealedRecipe): string {
  const config = cloudConfigData(recipe)
  const header = '#cloud-config\n# Written by Orchard. first_run_setup.sh applies only what is not here (docs/releases.md).\n'
  // YAML 1.1, as cloud-init's PyYAML reads it: a hostname `no` must stay a string.
  return Object.keys(config).length ? `${header}${YAML.stringify(config, { version: '1.1', lineWidth: 0 })}` : header
}

/** cloud-init's network-config (netplan v2, rendered for NetworkManager as Raspberry Pi OS does), or null when no feature has any. */
export function networkConfig(recipe: SealedRecipe): string | null {
  const network = networkConfigData(recipe)
  return network ? `# Written by Orchard (netplan v2).\n${YAML.stringify({ network }, { version: '1.1', lineWidth: 0 })}` : null
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
