/** The only forms a typed secret leaves the builder in: crypt hashes and WPA PSKs. */
import { createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import { encrypt } from 'unixcrypt'

const SALT_CHARS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** 16 salt characters from 16 bytes (64 divides 256: every character equally likely). */
const saltFrom = (bytes: Buffer): string => [...bytes.subarray(0, 16)].map((byte) => SALT_CHARS[byte % 64]).join('')

/**
 * The salt a build gives `user`'s password: HMAC-SHA256 keyed by the recipe's fingerprint
 * (secrets left out), so the same recipe seals to the same hash (reproducible images) while
 * different recipes and users get different salts. Never derived from the password itself:
 * a salt is public, and one computed from the password would be a fast hash of it.
 */
export function derivedSalt(recipeSha256: string, user: string): string {
  return saltFrom(createHmac('sha256', recipeSha256).update(`orchard password salt\0${user}`).digest())
}

/** sha512crypt (`$6$`), the hash every Raspberry Pi OS release's PAM accepts; a random salt unless one is given. */
export function hashPassword(password: string, salt = saltFrom(randomBytes(16))): string {
  if (!/^[./0-9A-Za-z]{1,16}$/.test(salt)) throw new Error('a sha512-crypt salt is 1-16 characters of [./0-9A-Za-z]')
  return encrypt(password, `$6$${salt}`)
}

/** The WPA2 pre-shared key: PBKDF2-HMAC-SHA1(passphrase, ssid, 4096 rounds, 32 bytes). */
export function wifiPsk(ssid: string, passphrase: string): string {
  return pbkdf2Sync(passphrase, ssid, 4096, 32, 'sha1').toString('hex')
}
