/** Turns typed secrets into the only forms that leave the builder: crypt hashes and WPA PSKs. */
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { encrypt } from 'unixcrypt'
import type { Recipe, RecipeUser } from '../recipe/schema'

const SALT_CHARS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** sha512crypt (`$6$`), the hash every Raspberry Pi OS release's PAM accepts. */
export function hashPassword(password: string): string {
  const salt = [...randomBytes(16)].map((byte) => SALT_CHARS[byte % 64]).join('')
  return encrypt(password, `$6$${salt}`)
}

/** The WPA2 pre-shared key: PBKDF2-HMAC-SHA1(passphrase, ssid, 4096 rounds, 32 bytes). */
export function wifiPsk(ssid: string, passphrase: string): string {
  return pbkdf2Sync(passphrase, ssid, 4096, 32, 'sha1').toString('hex')
}

export interface SealedUser extends Omit<RecipeUser, 'password' | 'passwordHash'> {
  /** A crypt hash, or null for a user who logs in with keys only (password locked). */
  passwordHash: string | null
}
export interface SealedWifi extends Omit<NonNullable<Recipe['wifi']>, 'passphrase' | 'psk'> {
  psk: string
}

/** The recipe with every plaintext secret replaced by its hash; nothing after this sees plaintext. */
export interface SealedRecipe extends Omit<Recipe, 'users' | 'wifi'> {
  users: SealedUser[]
  wifi?: SealedWifi
}

export function sealRecipe(recipe: Recipe): SealedRecipe {
  const { users, wifi, ...rest } = recipe
  return {
    ...rest,
    users: users.map(({ password, passwordHash, ...user }) => ({
      ...user,
      passwordHash: passwordHash ?? (password ? hashPassword(password) : null),
    })),
    ...(wifi && {
      wifi: { ssid: wifi.ssid, country: wifi.country, hidden: wifi.hidden, psk: (wifi.psk ?? wifiPsk(wifi.ssid, wifi.passphrase!)).toLowerCase() },
    }),
  }
}
