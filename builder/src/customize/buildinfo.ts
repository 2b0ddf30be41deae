/** Build details for `buildinfo/` on the boot partition and beside the image. Never a secret. */
import type { ReleaseTraits } from '../image/traits'
import type { SealedRecipe } from './seal'

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

/** What the recipe changes, in words a person reads; secrets appear only as "(hashed)". */
export function describeCustomizations(recipe: SealedRecipe): string[] {
  const out: string[] = []
  const { hostname, timezone, locale, keyboard } = recipe.system
  if (hostname) out.push(`hostname ${hostname}`)
  for (const user of recipe.users) {
    const details = [
      user.passwordHash ? 'password (hashed)' : 'no password',
      user.sudo && 'sudo',
      user.sshKeys.length && `${user.sshKeys.length} SSH key${user.sshKeys.length > 1 ? 's' : ''}`,
      user.groups.length && `groups ${user.groups.join(',')}`,
    ].filter(Boolean)
    out.push(`user ${user.name} (${details.join(', ')})`)
  }
  if (recipe.ssh) out.push(`ssh ${recipe.ssh.enable ? 'enabled' : 'disabled'}, password login ${recipe.ssh.passwordAuth ? 'on' : 'off'}`)
  if (recipe.wifi) out.push(`wifi "${recipe.wifi.ssid}" (country ${recipe.wifi.country}${recipe.wifi.hidden ? ', hidden' : ''}, key hashed)`)
  for (const [name, config] of Object.entries(recipe.network)) out.push(`static ${name} ${config.address}${config.gateway ? ` via ${config.gateway}` : ''}`)
  if (timezone) out.push(`timezone ${timezone}`)
  if (locale) out.push(`locale ${locale}`)
  if (keyboard) out.push(`keyboard ${keyboard}`)
  if (recipe.docker) out.push('docker installed')
  if (recipe.packages.length) out.push(`packages ${recipe.packages.join(' ')}`)
  for (const step of recipe.steps) out.push(`step "${step.name}"`)
  for (const file of recipe.files) out.push(`file ${file.partition === 'boot' ? 'boot:' : ''}${file.target}`)
  for (const script of recipe.firstBoot) out.push(`first-boot script ${basename(script)}`)
  for (const script of recipe.startupScripts.runOnce) out.push(`run-once script ${basename(script)}`)
  for (const script of recipe.startupScripts.everyTime) out.push(`every-time script ${basename(script)}`)
  for (const resource of recipe.startupScripts.resources) out.push(`resource ${basename(resource)}`)
  if (recipe.dockerfile) out.push(`dockerfile ${basename(recipe.dockerfile)}`)
  return out
}

const basename = (path: string) => path.split(/[\\/]/).pop() ?? path

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
