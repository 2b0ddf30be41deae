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
  release: ReleaseTraits
  customizations: string[]
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
    '',
    'Customizations:',
    ...info.customizations.map((line) => `  - ${line}`),
    '',
  ].join('\n')
}
