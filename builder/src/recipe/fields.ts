/** Field validators that several parts of the recipe share (a feature's own fields live in its module). */
import { z } from 'zod'

// RFC 1123 label; `{{serial}}` is replaced at first boot by the board's serial number.
const HOSTNAME = /^(?=.{1,63}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/
export const Hostname = z
  .string()
  .refine((name) => HOSTNAME.test(name.replaceAll('{{serial}}', '0123abcd')), {
    message: 'must be 1–63 lowercase letters, digits or hyphens, not starting or ending with a hyphen (a hostname); only {{serial}} may stand in it',
  })

const SSH_KEY = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/
export const SshKey = z.string().trim().refine((key) => SSH_KEY.test(key) && validKeyBlob(key), {
  message: 'is not an OpenSSH public key ("ssh-ed25519 AAAA… comment")',
})

/** The base64 blob of an OpenSSH key starts with its own type name, length-prefixed. */
function validKeyBlob(key: string): boolean {
  const [type, blob] = key.split(' ')
  let bytes: Uint8Array
  try {
    bytes = Uint8Array.from(atob(blob ?? ''), (c) => c.charCodeAt(0))
  } catch {
    return false // a length no base64 encoder writes (a key cut short): atob throws
  }
  if (bytes.length < 4 + (type?.length ?? 0)) return false
  const length = (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!
  return length === type!.length && new TextDecoder().decode(bytes.slice(4, 4 + length)) === type
}

/** A file next to the recipe (relative paths are relative to the recipe's folder). */
export const RecipePath = z.string().min(1, 'must not be empty')

const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
export const isIpv4 = (text: string) => IPV4.test(text)
export const Ipv4 = z.string().regex(IPV4, 'must be an IPv4 address')

export const utf8Length = (text: string) => new TextEncoder().encode(text).length
