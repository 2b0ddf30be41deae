/**
 * The release's own first-boot files on the boot partition, so the recipe takes effect
 * where a release has its own first-boot wizard (Bookworm's userconf-pi) or cloud-init,
 * and that wizard does not stop boot to ask for a user.
 */
import type { ReleaseTraits } from '../image/traits'
import type { SealedRecipe } from './seal'

export interface BootFile {
  path: string
  content: string
}

export function nativeBootFiles(recipe: SealedRecipe, traits: ReleaseTraits): BootFile[] {
  const files: BootFile[] = []
  // Raspberry Pi OS enables sshd at boot when this file exists (and deletes it).
  if (recipe.ssh?.enable) files.push({ path: '/ssh', content: '' })
  const first = recipe.users[0]
  if (traits.userconfWizard && first) {
    // userconf-pi renames the default user to this one and sets its password hash;
    // `*` (locked) for a user who logs in with keys only. It deletes the file after use.
    files.push({ path: '/userconf.txt', content: `${first.name}:${first.passwordHash ?? '*'}\n` })
  }
  if (traits.cloudInit) files.push({ path: '/user-data', content: cloudConfig(recipe) })
  return files
}

function cloudConfig(recipe: SealedRecipe): string {
  const lines = ['#cloud-config', '# Written by Orchard. first_run_setup.sh applies the same settings again.']
  if (recipe.system.hostname && !recipe.system.hostname.includes('{{')) lines.push(`hostname: ${recipe.system.hostname}`, 'manage_etc_hosts: true')
  if (recipe.system.timezone) lines.push(`timezone: ${recipe.system.timezone}`)
  if (recipe.system.locale) lines.push(`locale: ${recipe.system.locale}`)
  if (recipe.ssh) lines.push(`ssh_pwauth: ${recipe.ssh.passwordAuth}`)
  if (recipe.users.length) {
    lines.push('users:')
    for (const user of recipe.users) {
      lines.push(`  - name: ${user.name}`, '    shell: /bin/bash', `    lock_passwd: ${user.passwordHash ? 'false' : 'true'}`)
      if (user.passwordHash) lines.push(`    hashed_passwd: "${user.passwordHash}"`)
      if (user.sudo) lines.push(`    sudo: "ALL=(ALL:ALL) ${user.passwordHash ? '' : 'NOPASSWD: '}ALL"`)
      if (user.groups.length) lines.push(`    groups: [${user.groups.join(', ')}]`)
      if (user.sshKeys.length) lines.push('    ssh_authorized_keys:', ...user.sshKeys.map((key) => `      - ${JSON.stringify(key)}`))
    }
  }
  return `${lines.join('\n')}\n`
}
