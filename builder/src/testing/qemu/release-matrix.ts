/**
 * The release matrix's one recipe (every setting a release mechanism owns) and what a booted
 * card must show for it: the recipe and its scripts, and the state report the guest writes to
 * the boot partition (read back from the host after power-off).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

export const MATRIX_PASSWORD = 'matrix-password-5521'
export const MATRIX_PASSPHRASE = 'matrix-wifi-passphrase-77'
export const MATRIX_SSID = 'Matrix Net'
export const MATRIX_SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb5vOa4UZmYn0yd1NFhL3G5oCt2sSzeT3Xrbf8fc3Ql matrix@orchard'
/** On QEMU's user network (10.0.2.0/24, gateway .2, DNS .3), but not the address its DHCP hands out (.15). */
export const MATRIX_ADDRESS = '10.0.2.50/24'

/**
 * Writes the state the settings produced as `key=value` lines, then powers off. Where cloud-init
 * runs, its final stage (runcmd: SSH on, Connect) comes after this runner (it waits for
 * multi-user.target), so the report and the power-off wait for it in a transient unit.
 * Waits up to 45 s for eth0's static address first.
 */
const FINISH_SCRIPT = `#!/bin/sh
if [ -z "$MATRIX_LATE" ] && command -v cloud-init >/dev/null 2>&1 && [ ! -e /etc/cloud/cloud-init.disabled ]; then
  cp "$0" /run/orchard-matrix-finish.sh
  exec systemd-run --no-block --unit=orchard-matrix-finish --setenv=MATRIX_LATE=1 --setenv=ORCHARD_BOOT="$ORCHARD_BOOT" \\
    /bin/sh -c 'cloud-init status --wait >/dev/null 2>&1; exec /bin/sh /run/orchard-matrix-finish.sh'
fi
mkdir -p "$ORCHARD_BOOT/proof"
i=0
while [ $i -lt 45 ] && ! ip -4 -o addr show dev eth0 2>/dev/null | grep -q 'inet ${MATRIX_ADDRESS}'; do sleep 1; i=$((i + 1)); done
sshd_t() { mkdir -p /run/sshd; /usr/sbin/sshd -T 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
{
  echo "hostname=$(hostname)"
  echo "user=$(id -un fleet 2>&1) groups=$(id -Gn fleet 2>&1 | tr ' ' ,)"
  echo "first-user-groups=$(for g in adm sudo users; do id -Gn fleet 2>/dev/null | tr ' ' '\\n' | grep -qx "$g" && printf '%s ' "$g"; done)"
  echo "sudo-all=$(sudo -n -l -U fleet 2>/dev/null | grep -q '(ALL' && echo yes || echo no)"
  echo "ssh-enabled=$(systemctl is-enabled ssh 2>&1)"
  echo "ssh-active=$(systemctl is-active ssh 2>&1)"
  echo "ssh-password-auth=$(sshd_t passwordauthentication)"
  echo "host-keys=$(ls /etc/ssh/ssh_host_*_key 2>/dev/null | wc -l)"
  echo "eth0=$(ip -4 -o addr show dev eth0 2>&1 | awk '{ print $4 }' | tr '\\n' ' ')"
  echo "default-route=$(ip -4 route show default 2>&1 | head -1)"
  echo "timezone=$(readlink /etc/localtime)"
  echo "locale=$(grep -h '^LANG=' /etc/default/locale 2>&1)"
  echo "keyboard=$(grep -h '^XKBLAYOUT=' /etc/default/keyboard 2>&1)"
  echo "i2c-dev=$(grep -rhs '^i2c-dev' /etc/modules-load.d /etc/modules | head -1)"
  echo "eth0-wait=$i"
} > "$ORCHARD_BOOT/proof/state.txt"
# Why, when the server is not running: read from the host when a check fails.
systemctl is-active -q ssh || { systemctl status ssh; journalctl -b -u ssh -u ssh.socket --no-pager; } > "$ORCHARD_BOOT/proof/ssh-status.txt" 2>&1
sync
systemctl --no-block poweroff
`

/** The recipe (and its scripts) in `dir` for an image at `source`. */
export async function writeMatrixRecipe(dir: string, name: string, source: string, sha256: string, arch: 'arm64' | 'armhf'): Promise<string> {
  await mkdir(path.join(dir, 'scripts'), { recursive: true })
  const script = (file: string, body: string) => writeFile(path.join(dir, 'scripts', file), body)
  await script('10-once.sh', '#!/bin/sh\nmkdir -p "$ORCHARD_BOOT/proof"\necho "once on $(hostname)" >> "$ORCHARD_BOOT/proof/once.txt"\n')
  await script('zz-finish.sh', FINISH_SCRIPT)
  const recipe = path.join(dir, 'recipe.yml')
  await writeFile(
    recipe,
    `name: matrix-${name}
source: { path: ${source}, sha256: ${sha256} }
arch: ${arch}
system: { hostname: matrix-${name}, timezone: Europe/Berlin, locale: de_DE.UTF-8, keyboard: de }
users: [{ name: fleet, password: ${MATRIX_PASSWORD}, sudo: true, sshKeys: ["${MATRIX_SSH_KEY}"] }]
ssh: { enable: true, passwordAuth: false }
wifi: { ssid: ${MATRIX_SSID}, passphrase: ${MATRIX_PASSPHRASE}, country: DE, hidden: true }
network: { eth0: { address: ${MATRIX_ADDRESS}, gateway: 10.0.2.2, dns: [10.0.2.3] } }
interfaces: { i2c: true, spi: true }
startupScripts:
  runOnce: [scripts/10-once.sh]
  everyTime: [scripts/zz-finish.sh]
`,
  )
  return recipe
}

/** state.txt as a map. */
export function parseState(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]),
  )
}

/** What every release must show after first boot, whichever mechanism applied it. */
export function expectedState(name: string): Record<string, string | RegExp> {
  return {
    hostname: `matrix-${name}`,
    user: /^fleet groups=fleet\b/,
    // Raspberry Pi OS's own first user's groups (the fixtures give pi these three), on every shape.
    'first-user-groups': 'adm sudo users',
    'sudo-all': 'yes',
    'ssh-enabled': 'enabled',
    'ssh-active': 'active',
    'ssh-password-auth': 'no',
    'host-keys': /^[1-9]/,
    eth0: new RegExp(`(^| )${MATRIX_ADDRESS.replace(/\./g, '\\.')}( |$)`),
    'default-route': /^default via 10\.0\.2\.2 dev eth0/,
    timezone: /\/Europe\/Berlin$/,
    locale: /^LANG="?de_DE\.UTF-8"?$/,
    keyboard: /^XKBLAYOUT="?de"?$/,
    'i2c-dev': 'i2c-dev',
  }
}
