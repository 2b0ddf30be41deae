/** The only forms a typed secret leaves the builder in: crypt hashes and WPA PSKs. */
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { encrypt } from 'unixcrypt'

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
