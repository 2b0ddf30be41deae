/**
 * The recipe: one zod schema, YAML on disk. Every field is documented in docs/recipe.md.
 * Unknown fields are errors (a typo must not be silently ignored).
 */
import { z } from 'zod'

const SHA256 = z.string().regex(/^[a-f0-9]{64}$/i, 'must be 64 hexadecimal characters (a SHA256)')

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
  const bytes = Uint8Array.from(atob(blob ?? ''), (c) => c.charCodeAt(0))
  if (bytes.length < 4 + (type?.length ?? 0)) return false
  const length = (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!
  return length === type!.length && new TextDecoder().decode(bytes.slice(4, 4 + length)) === type
}

const PASSWORD_HASH = /^\$(6|5|y|gy|2[aby])\$[^\s:]+$/

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

const utf8Length = (text: string) => new TextEncoder().encode(text).length

const Wifi = z
  .object({
    ssid: z.string().min(1, 'must not be empty').refine((ssid) => utf8Length(ssid) <= 32, { message: 'must be at most 32 bytes (UTF-8)' }),
    passphrase: z
      .string()
      .refine((p) => p.length >= 8 && p.length <= 63, { message: 'must be 8 to 63 characters (WPA2 passphrase)' })
      .refine((p) => /^[\x20-\x7e]*$/.test(p), { message: 'must be printable ASCII characters (WPA2 passphrase)' })
      .optional(),
    psk: z.string().regex(/^[a-f0-9]{64}$/i, 'must be 64 hexadecimal characters (a WPA PSK)').optional(),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166 country code, e.g. GB'),
    hidden: z.boolean().default(false),
  })
  .strict()
  .refine((wifi) => Boolean(wifi.passphrase) !== Boolean(wifi.psk), { message: 'give exactly one of passphrase or psk', path: ['passphrase'] })

const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const Ipv4 = z.string().regex(IPV4, 'must be an IPv4 address')
const StaticIp = z
  .object({
    address: z.string().refine((cidr) => {
      const [ip, prefix] = cidr.split('/')
      return IPV4.test(ip ?? '') && /^\d{1,2}$/.test(prefix ?? '') && Number(prefix) <= 32
    }, 'must be an IPv4 address with a prefix length, e.g. 192.168.1.50/24'),
    gateway: Ipv4.optional(),
    dns: z.array(Ipv4).default([]),
  })
  .strict()

const RecipePath = z.string().min(1, 'must not be empty')

const FileEntry = z
  .object({
    source: RecipePath.optional(),
    content: z.string().optional(),
    target: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path inside the image, e.g. /etc/motd'),
    partition: z.enum(['root', 'boot']).default('root'),
    mode: z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal mode, e.g. "0644"').default('0644'),
    owner: z.string().regex(/^\d+:\d+$/, 'must be uid:gid numbers, e.g. "0:0" (names need the image\'s passwd)').default('0:0'),
  })
  .strict()
  .refine((file) => (file.source === undefined) !== (file.content === undefined), { message: 'give exactly one of source or content', path: ['source'] })
  .refine((file) => !file.target.split('/').includes('..'), { message: 'must not contain ".."', path: ['target'] })

const Step = z
  .object({
    name: z.string().min(1, 'must not be empty'),
    run: z.string().min(1, 'must not be empty'),
  })
  .strict()

export const RecipeSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'must be letters, digits, ".", "_" or "-" (it names the output files)'),
    description: z.string().optional(),
    source: z
      .object({
        url: z.string().regex(/^(https?|s3):\/\/\S+$/, 'must be an http(s):// or s3:// URL').optional(),
        path: RecipePath.optional(),
        sha256: SHA256,
        signatureUrl: z.string().url().optional(),
      })
      .strict()
      .refine((source) => Boolean(source.url) !== Boolean(source.path), { message: 'give exactly one of url or path', path: ['url'] }),
    arch: z.enum(['arm64', 'armhf']),
    system: z
      .object({
        hostname: Hostname.optional(),
        timezone: z.string().regex(/^(UTC|[A-Za-z]+(\/[A-Za-z0-9_+-]+){1,2})$/, 'must be a tz database name, e.g. Europe/London').optional(),
        locale: z.string().regex(/^[a-z]{2,3}_[A-Z]{2}(\.UTF-8)?$/, 'must be a locale such as en_GB.UTF-8').optional(),
        keyboard: z.string().regex(/^[a-z]{2,8}$/, 'must be an XKB layout such as gb or us').optional(),
      })
      .strict()
      .default({}),
    users: z.array(User).default([]),
    ssh: z
      .object({ enable: z.boolean().default(true), passwordAuth: z.boolean().default(false) })
      .strict()
      .optional(),
    wifi: Wifi.optional(),
    network: z.record(z.string().regex(/^[a-z][a-z0-9]{1,14}$/, 'must be an interface name such as eth0'), StaticIp).default({}),
    docker: z.boolean().default(false),
    packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+(=[^\s]+)?$/, 'must be a Debian package name')).default([]),
    steps: z.array(Step).default([]),
    files: z.array(FileEntry).default([]),
    firstBoot: z.array(RecipePath).default([]),
    startupScripts: z
      .object({
        runOnce: z.array(RecipePath).default([]),
        everyTime: z.array(RecipePath).default([]),
        resources: z.array(RecipePath).default([]),
      })
      .strict()
      .default({ runOnce: [], everyTime: [], resources: [] }),
    dockerfile: RecipePath.optional(),
    outputs: z
      .object({
        image: z.object({ compress: z.enum(['xz', 'none']).default('none') }).strict().default({ compress: 'none' }),
        docker: z
          .object({ tag: z.string().min(1), registry: z.string().optional() })
          .strict()
          .optional(),
      })
      .strict()
      .default({ image: { compress: 'none' } }),
  })
  .strict()
  .superRefine((recipe, context) => {
    const names = recipe.users.map((user) => user.name)
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index) context.addIssue({ code: 'custom', path: ['users', index, 'name'], message: `"${name}" is listed twice` })
    })
  })

export type Recipe = z.output<typeof RecipeSchema>
export type RecipeInput = z.input<typeof RecipeSchema>
export type RecipeUser = Recipe['users'][number]

/** What needs ARM code to run (and so a full build, not the quick path). */
export function armWork(recipe: Recipe): string[] {
  const needs: string[] = []
  if (recipe.packages.length) needs.push('packages')
  if (recipe.docker) needs.push('docker')
  if (recipe.steps.length) needs.push('steps')
  if (recipe.dockerfile) needs.push('dockerfile')
  if (recipe.outputs.docker) needs.push('outputs.docker')
  return needs
}
