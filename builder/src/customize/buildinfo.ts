/** Build details for `buildinfo/` on the boot partition and beside the image. Never a secret. */
import { features } from '../features/registry'
import type { ReleaseTraits } from '../image/traits'
import type { SealedRecipe } from '../recipe/schema'

export interface BuildInfo {
  name: string
  builder: { name: 'orchard'; version: string }
  mode: 'quick' | 'docker' | 'chroot'
  builtAt: string
  source: { url?: string; path?: string; sha256: string }
  recipeSha256: string
  /** The recipe's file name (no folder), for `orchard rebuild` to find it beside the outputs. */
  recipeFile?: string
  release: ReleaseTraits
  customizations: string[]
  /** Every installed package (`name:arch` → version) as dpkg records it in the built root fs; empty without dpkg. Absent from build info written before packages were recorded. */
  packages?: Record<string, string>
}

/**
 * A source URL as build info carries it (on every card, beside the image, in S3): without
 * user info, query or fragment, where presigned tokens and passwords live, and saying what
 * was trimmed so a person knows. The recipe keeps the full URL to download from.
 */
export function shareableSourceUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return '(not a readable URL: left out)'
  }
  const removed: string[] = []
  if (parsed.username || parsed.password) removed.push('user info')
  parsed.username = ''
  parsed.password = ''
  // An empty `?` or `#` still counts: the person should see the URL differs from the recipe's.
  const [beforeHash, fragment] = parsed.href.split(/#(.*)/s)
  if (beforeHash!.includes('?')) removed.push('query')
  if (fragment !== undefined) removed.push('fragment')
  parsed.search = ''
  parsed.hash = ''
  const what = removed.length > 1 ? `${removed.slice(0, -1).join(', ')} and ${removed.at(-1)}` : removed[0]
  return what ? `${parsed.href} (${what} removed)` : parsed.href
}

/** BuildInfo's source: the URL made shareable, or the local image's resolved path. */
export function buildInfoSource(recipeSource: { url?: string }, resolvedPath: string, sha256: string): BuildInfo['source'] {
  return recipeSource.url ? { url: shareableSourceUrl(recipeSource.url), sha256 } : { path: resolvedPath, sha256 }
}

/** What the recipe changes, in words a person reads: every feature's lines, in registry order. */
export function describeCustomizations(recipe: SealedRecipe): string[] {
  return features.flatMap((feature) => feature.describe(recipe))
}

export function buildInfoText(info: BuildInfo): string {
  const source = info.source.url ?? info.source.path ?? '?'
  return [
    `Orchard build: ${info.name}`,
    `Built:         ${info.builtAt} (${info.mode}, orchard ${info.builder.version})`,
    `Source:        ${source}`,
    `Source SHA256: ${info.source.sha256}`,
    `Recipe SHA256: ${info.recipeSha256} (secrets left out)`,
    `Release:       ${info.release.release} (${info.release.arch}, boot at ${info.release.bootMount})`,
    `Packages:      ${Object.keys(info.packages ?? {}).length} installed (name and version of each in buildinfo.json)`,
    `First boot:    shape ${info.release.shape}, the recipe's settings applied by ${info.release.firstBoot} (docs/releases.md in Orchard)`,
    '',
    'Customizations:',
    ...info.customizations.map((line) => `  - ${line}`),
    '',
  ].join('\n')
}
