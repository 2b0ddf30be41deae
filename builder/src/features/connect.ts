/**
 * Raspberry Pi Connect: a sign-in token, handed to `rpi-connect` the way Imager 2 does it
 * (rpi-imager src/customization_generator.cpp): written to the user's
 * `~/.config/com.raspberrypi.connect/auth.key` (0600), the user's `rpi-connect.service`,
 * `rpi-connect-signin.path` (it watches that file and signs in with it) and, where
 * installed, `rpi-connect-wayvnc.service` enabled, and lingering switched on so they start
 * at boot without a login. Where cloud-init applies settings it is one `runcmd` entry of
 * user-data (cloud-init runs it once, after it made the users); elsewhere
 * first_run_setup.sh's section. The token cannot be hashed (the device sends it to
 * Connect), so its sealed form `authKey` is the token itself: what sealing gives it is the
 * handling of every secret (marked lines scrubbed from the card, user-data wiped once
 * cloud-init holds it, never in logs, build info or the recipe's fingerprint).
 */
import { z } from 'zod'
import { quote, secretAssignment } from '../customize/shell'
import { extExists } from '../image/ext'
import { defineFeature } from './feature'

// Printable ASCII without spaces: one line in auth.key, nothing a shell or YAML could split.
const Token = z
  .string()
  .min(8, 'must be at least 8 characters (the token as Connect shows it)')
  .max(1024, 'must be at most 1024 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (the token as Connect shows it)')

const Connect = z
  .object({
    /** The token as typed: sealing moves it to authKey. */
    token: Token.optional(),
    /** The token as the device gets it (the sealed form; a recipe may also give it so). */
    authKey: Token.optional(),
    /** Who signs in: default the recipe's first user, else the image's uid-1000 user. */
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Linux user name').optional(),
  })
  .strict()
  .refine((connect) => Boolean(connect.token) !== Boolean(connect.authKey), { message: 'give exactly one of token or authKey', path: ['token'] })

export interface SealedConnect {
  authKey: string
  user?: string
}

const CONFIG_DIR = '.config/com.raspberrypi.connect'

/** The units Imager enables, each in the target that wants it. */
const UNITS = [
  ['rpi-connect.service', 'default.target.wants'],
  ['rpi-connect-signin.path', 'paths.target.wants'],
  ['rpi-connect-wayvnc.service', 'default.target.wants'],
] as const

/**
 * The shell that hands the token over, for first_run_setup.sh and cloud-init's runcmd alike.
 * `CONNECT_TOKEN` must be set before it; `report` is how it says it failed.
 */
export function connectScript(user: string | undefined, report: (message: string) => string): string {
  const links = UNITS.map(
    ([unit, wants]) => `for dir in /usr/lib/systemd/user /lib/systemd/user; do
  if [ -f "$dir/${unit}" ]; then ln -sf "$dir/${unit}" "$CONNECT_HOME/.config/systemd/user/${wants}/${unit}"; CONNECT_UNITS=$((CONNECT_UNITS + 1)); break; fi
done`,
  )
  return `connect_passwd() { { getent passwd "$1" 2>/dev/null || awk -F: -v key="$1" '$1 == key || $3 == key' /etc/passwd; } | head -n 1; }
CONNECT_USER=${quote(user ?? '')}
[ -n "$CONNECT_USER" ] || CONNECT_USER=$(connect_passwd 1000 | cut -d: -f1)
CONNECT_HOME=$(connect_passwd "$CONNECT_USER" | cut -d: -f6)
if [ -z "$CONNECT_USER" ] || [ -z "$CONNECT_HOME" ] || [ ! -d "$CONNECT_HOME" ]; then
  ${report('connect: no user to sign in as (connect.user, the first of users[], or uid 1000) with a home folder')}
else
  CONNECT_OWNER="$CONNECT_USER:$(id -gn "$CONNECT_USER")"
  for dir in .config .config/systemd .config/systemd/user .config/systemd/user/default.target.wants .config/systemd/user/paths.target.wants ${CONFIG_DIR}; do
    mkdir -p "$CONNECT_HOME/$dir" && chown "$CONNECT_OWNER" "$CONNECT_HOME/$dir"
  done
  chmod 700 "$CONNECT_HOME/${CONFIG_DIR}"
  (umask 077 && printf '%s\\n' "$CONNECT_TOKEN" > "$CONNECT_HOME/${CONFIG_DIR}/auth.key")
  chown "$CONNECT_OWNER" "$CONNECT_HOME/${CONFIG_DIR}/auth.key"
  CONNECT_UNITS=0
${links.join('\n')}
  chown -h "$CONNECT_OWNER" "$CONNECT_HOME"/.config/systemd/user/*.wants/* 2>/dev/null || true
  # Lingering: the user's manager (and so rpi-connect) starts at boot without a login.
  mkdir -p /var/lib/systemd/linger && : > "/var/lib/systemd/linger/$CONNECT_USER"
  if [ "$CONNECT_UNITS" -eq 0 ]; then
    echo "connect: rpi-connect is not installed in this image: the token waits in ~$CONNECT_USER/${CONFIG_DIR}/auth.key" >&2
  elif [ -d /run/systemd/system ]; then
    loginctl enable-linger "$CONNECT_USER" >/dev/null 2>&1 || true
  fi
fi
unset CONNECT_TOKEN
`
}

export const connect = defineFeature({
  id: 'connect',
  title: 'Raspberry Pi Connect',
  schema: { connect: Connect.optional() },
  secrets: [{ field: 'connect', plain: 'token', sealed: 'authKey' }],
  seal: ({ connect }): { connect?: SealedConnect } => (connect ? { connect: { authKey: (connect.authKey ?? connect.token)!, ...(connect.user && { user: connect.user }) } } : {}),
  firstRun: (recipe, { traits }) => {
    const { connect } = recipe
    if (!connect || traits.firstBoot === 'cloud-init') return ''
    return `# --- Raspberry Pi Connect ---
${secretAssignment('CONNECT_TOKEN', connect.authKey)}
${connectScript(connectUser(recipe), (message) => `fail ${quote(message)}`)}log "connect: sign-in token handed to rpi-connect"
`
  },
  // One runcmd entry, as Imager does it: cloud-init runs it after it made the users.
  cloudConfig: (recipe) => {
    const { connect } = recipe
    if (!connect) return {}
    const script = `CONNECT_TOKEN=${quote(connect.authKey)}\n${connectScript(connectUser(recipe), (message) => `echo ${quote(message)} >&2; exit 1`)}`
    return { runcmd: [['sh', '-c', script]] }
  },
  // Said at build time too: without rpi-connect the token would only wait in auth.key.
  writeRoot: async ({ connect }, fs, { onStep }) => {
    if (!connect) return
    const units = await Promise.all(['/usr/lib/systemd/user/rpi-connect.service', '/lib/systemd/user/rpi-connect.service'].map((unit) => extExists(fs, unit).catch(() => false)))
    if (!units.some(Boolean)) onStep('connect: this image has no rpi-connect (add packages: [rpi-connect-lite] in a full build): the token will wait in auth.key')
  },
  describe: (recipe) => (recipe.connect ? [`Raspberry Pi Connect: signs in as ${connectUser(recipe) ?? 'the uid-1000 user'} with a token (secret, scrubbed from the card)`] : []),
  example: { connect: { token: 'rpuak_orchardExampleConnectToken0123' } },
})

/** Who signs in: connect.user, else the recipe's first user (read from the whole recipe, which every hook gets). */
function connectUser(recipe: { connect?: SealedConnect }): string | undefined {
  const users = (recipe as { users?: { name: string }[] }).users
  return recipe.connect?.user ?? users?.[0]?.name
}
