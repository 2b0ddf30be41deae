/**
 * Users, with a crypt-hashed password, groups, sudo and SSH keys: cloud-init's user list
 * where cloud-init applies settings (the first with Raspberry Pi OS's first-user groups);
 * elsewhere created (or updated) by first_run_setup.sh, the first one also answering the
 * release's own first-boot wizard (userconf.txt: the default user renamed, its groups kept) so
 * it does not stop boot to ask.
 */
import { z } from 'zod'
import { quote, secretAssignment } from '../customize/shell'
import { derivedSalt, hashPassword } from '../recipe/crypt'
import { SshKey } from '../recipe/fields'
import { defineFeature } from './feature'

const PASSWORD_HASH = /^\$(6|5|y|gy|2[aby])\$[^\s:]+$/

/**
 * Raspberry Pi OS's first user's groups (pi-gen's first user, which userconf-pi renames on the
 * other shapes; Imager 2's cloud-init user): where cloud-init makes the first user instead, it
 * gets them too, so GPIO, I2C, video and sudo work for it as on every other shape.
 */
export const PI_FIRST_USER_GROUPS = ['users', 'adm', 'dialout', 'audio', 'netdev', 'video', 'plugdev', 'cdrom', 'games', 'input', 'gpio', 'spi', 'i2c', 'render', 'sudo']

const User = z
  .object({
    name: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Linux user name: lowercase, start with a letter or _, at most 32 characters'),
    password: z.string().min(1, 'must not be empty').optional(),
    passwordHash: z.string().regex(PASSWORD_HASH, 'must be a crypt hash ($6$… sha512crypt, $y$… yescrypt)').optional(),
    sshKeys: z.array(SshKey).default([]),
    sudo: z.boolean().default(false),
    groups: z.array(z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'must be a group name')).default([]),
  })
  .strict()
  .refine((user) => !(user.password && user.passwordHash), { message: 'give password or passwordHash, not both', path: ['password'] })

const Users = z
  .array(User)
  .default([])
  .superRefine((users, context) => {
    const names = users.map((user) => user.name)
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index) context.addIssue({ code: 'custom', path: [index, 'name'], message: `"${name}" is listed twice` })
    })
  })

export type RecipeUser = z.output<typeof User>
export interface SealedUser extends Omit<RecipeUser, 'password' | 'passwordHash'> {
  /** A crypt hash; absent for a user who logs in with keys only (password locked). */
  passwordHash?: string
}

export const users = defineFeature({
  id: 'users',
  title: 'Users',
  schema: { users: Users },
  secrets: [{ field: 'users[]', plain: 'password', sealed: 'passwordHash' }],
  // The salt comes from the recipe and the user's name: the same recipe, the same image (docs/reproducible.md).
  seal: ({ users }, { recipeSha256 }): { users: SealedUser[] } => ({
    users: users.map(({ password, passwordHash, ...user }) => {
      const hash = passwordHash ?? (password ? hashPassword(password, derivedSalt(recipeSha256, user.name)) : undefined)
      return { ...user, ...(hash && { passwordHash: hash }) }
    }),
  }),
  firstRun: ({ users }, { traits }) => (traits.firstBoot === 'cloud-init' ? '' : users.map(userSection).join('\n')),
  cloudConfig: ({ users }) =>
    users.length
      ? {
          users: users.map((user, index) => ({
            name: user.name,
            shell: '/bin/bash',
            lock_passwd: !user.passwordHash,
            ...(user.passwordHash && { hashed_passwd: user.passwordHash }),
            ...(user.sudo && { sudo: `ALL=(ALL:ALL) ${user.passwordHash ? '' : 'NOPASSWD: '}ALL` }),
            ...(groupsOf(user, index).length && { groups: groupsOf(user, index) }),
            ...(user.sshKeys.length && { ssh_authorized_keys: user.sshKeys }),
          })),
        }
      : {},
  bootFiles: ({ users }, { traits }) => {
    const first = users[0]
    // userconf-pi renames the default user to this one, so its wizard does not stop the boot. The
    // password stays `*` (locked) there: first_run_setup.sh alone sets the hash, from a file it
    // wipes, while userconf-pi deletes userconf.txt without wiping it (the hash would stay in the
    // partition's free clusters). Where cloud-init makes the users, it renames the default user itself.
    return traits.userconfWizard && traits.firstBoot !== 'cloud-init' && first ? [{ path: '/userconf.txt', content: `${first.name}:*\n` }] : []
  },
  describe: ({ users }) =>
    users.map((user) => {
      const details = [
        user.passwordHash ? 'password (hashed)' : 'no password',
        user.sudo && 'sudo',
        user.sshKeys.length && `${user.sshKeys.length} SSH key${user.sshKeys.length > 1 ? 's' : ''}`,
        user.groups.length && `groups ${user.groups.join(',')}`,
      ].filter(Boolean)
      return `user ${user.name} (${details.join(', ')})`
    }),
  example: {
    users: [
      {
        name: 'pi',
        password: 'example-users-password',
        sudo: true,
        groups: ['gpio'],
        sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f pi@example'],
      },
    ],
  },
})

/** The first user (the one that takes the place of Raspberry Pi OS's own) also gets its groups. */
function groupsOf(user: SealedUser, index: number): string[] {
  return [...new Set([...(index === 0 ? PI_FIRST_USER_GROUPS : []), ...user.groups])]
}

function userSection(user: SealedUser, index: number): string {
  const name = quote(user.name)
  const hashVar = `PASSWORD_HASH_${index}`
  const lines = [`# --- user ${user.name} ---`]
  if (user.passwordHash) lines.push(secretAssignment(hashVar, user.passwordHash))
  lines.push(
    `if ! id -u ${name} >/dev/null 2>&1; then`,
    `  useradd --create-home --shell /bin/bash ${name} || fail "useradd ${user.name}"`,
    'fi',
  )
  if (user.passwordHash) {
    lines.push(`usermod --password "$${hashVar}" ${name} || fail "password of ${user.name}"`)
  }
  const groups = [...user.groups, ...(user.sudo ? ['sudo'] : [])]
  if (groups.length) {
    lines.push(
      `for group in ${groups.map(quote).join(' ')}; do`,
      `  if getent group "$group" >/dev/null; then usermod -aG "$group" ${name}; else log "no group $group; skipped"; fi`,
      'done',
    )
  }
  if (user.sudo) {
    // A user with keys only has no password to give sudo.
    const rule = user.passwordHash ? `${user.name} ALL=(ALL:ALL) ALL` : `${user.name} ALL=(ALL:ALL) NOPASSWD: ALL`
    lines.push(`mkdir -p /etc/sudoers.d && echo ${quote(rule)} > /etc/sudoers.d/010_orchard-${user.name} && chmod 0440 /etc/sudoers.d/010_orchard-${user.name}`)
  }
  if (user.sshKeys.length) {
    lines.push(
      `USER_HOME=$(getent passwd ${name} | cut -d: -f6)`,
      `if [ -n "$USER_HOME" ]; then`,
      `  mkdir -p "$USER_HOME/.ssh"`,
      `  cat > "$USER_HOME/.ssh/authorized_keys" <<'ORCHARD_KEYS'`,
      ...user.sshKeys,
      'ORCHARD_KEYS',
      `  chown -R ${name}: "$USER_HOME/.ssh" && chmod 700 "$USER_HOME/.ssh" && chmod 600 "$USER_HOME/.ssh/authorized_keys"`,
      'else',
      `  fail "no home for ${user.name}"`,
      'fi',
    )
  }
  lines.push(`log "user ${user.name} ready"`, '')
  return lines.join('\n')
}
