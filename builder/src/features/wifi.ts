/**
 * Wifi: one network, stored only as its WPA PSK. Where cloud-init applies settings, it is
 * cloud-init's network-config (netplan `wifis.wlan0`, as Imager writes it); elsewhere
 * first_run_setup.sh configures the release's network stack (NetworkManager or
 * wpa_supplicant). The country (the kernel's regulatory domain) has one owner: the build
 * puts `cfg80211.ieee80211_regdom=XX` on cmdline.txt wherever the image has one, as Imager
 * does for every format; only an image without cmdline.txt gets it from first_run_setup.sh.
 * A card's device.env WIFI_SSID / WIFI_PSK / WIFI_COUNTRY are applied by first_run_setup.sh
 * on every release (a different WIFI_COUNTRY rewrites cmdline.txt's word, so it persists).
 */
import { z } from 'zod'
import { quote, secretAssignment } from '../customize/shell'
import { wifiPsk } from '../recipe/crypt'
import type { ReleaseTraits } from '../image/traits'
import { utf8Length } from '../recipe/fields'
import { BuildError } from '../util/errors'
import { defineFeature } from './feature'

// No control characters: a line break would add lines to the network configuration files.
const hasControl = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
export const isValidSsid = (ssid: string): boolean => ssid.length > 0 && utf8Length(ssid) <= 32 && !hasControl(ssid)
export const SSID_RULE = 'must be 1 to 32 bytes without control characters'

const Wifi = z
  .object({
    ssid: z
      .string()
      .min(1, 'must not be empty')
      .refine((ssid) => utf8Length(ssid) <= 32, { message: 'must be at most 32 bytes (UTF-8)' })
      .refine((ssid) => !hasControl(ssid), { message: 'must not contain control characters (line breaks, tabs, escapes)' }),
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

export interface SealedWifi extends Omit<z.output<typeof Wifi>, 'passphrase' | 'psk'> {
  psk: string
}

export const wifi = defineFeature({
  id: 'wifi',
  title: 'Wifi',
  schema: { wifi: Wifi.optional() },
  secrets: [{ field: 'wifi', plain: 'passphrase', sealed: 'psk' }],
  seal: ({ wifi }): { wifi?: SealedWifi } =>
    wifi ? { wifi: { ssid: wifi.ssid, country: wifi.country, hidden: wifi.hidden, psk: (wifi.psk ?? wifiPsk(wifi.ssid, wifi.passphrase!)).toLowerCase() } } : {},
  // Where cloud-init owns the recipe's network, first_run_setup.sh only applies device.env's.
  firstRun: ({ wifi }, { traits }) => wifiSection(traits.firstBoot === 'cloud-init' ? undefined : wifi, wifi?.country ?? '', regdomOnCmdline(wifi, traits) ?? '', traits),
  // No `regulatory-domain` here: netplan would set it again at every boot (its own
  // `iw reg set` unit) and fight a card's WIFI_COUNTRY; cmdline.txt is its one owner.
  networkConfig: ({ wifi }) =>
    wifi
      ? {
          wifis: {
            wlan0: {
              dhcp4: true,
              optional: true,
              'access-points': { [wifi.ssid]: { password: wifi.psk, ...(wifi.hidden && { hidden: true }) } },
            },
          },
        }
      : {},
  writeBoot: async ({ wifi }, fat, { traits, onStep }) => {
    const country = regdomOnCmdline(wifi, traits)
    if (!country) return
    if (!(await fat.exists('/cmdline.txt'))) throw new BuildError('INVALID_IMAGE', `wifi.country: this image's release said it has cmdline.txt, but its boot partition has none`)
    await fat.writeFile('/cmdline.txt', withRegulatoryDomain((await fat.readFile('/cmdline.txt')).toString('utf8'), country))
    onStep(`wifi: cfg80211.ieee80211_regdom=${country} on cmdline.txt`)
  },
  describe: ({ wifi }) => (wifi ? [`wifi "${wifi.ssid}" (country ${wifi.country}${wifi.hidden ? ', hidden' : ''}, key hashed)`] : []),
  example: { wifi: { ssid: 'orchard-example', passphrase: 'example-wifi-passphrase', country: 'GB' } },
})

/** The country the build puts on cmdline.txt (every release that boots from one), or null: then first_run_setup.sh sets it. */
export function regdomOnCmdline(wifi: { country: string } | undefined, traits: ReleaseTraits): string | null {
  return wifi && traits.cmdline ? wifi.country : null
}

/** cmdline.txt (one line) with the kernel's wifi regulatory domain set to `country`, as Imager sets it. */
export function withRegulatoryDomain(cmdline: string, country: string): string {
  const words = cmdline.trim().split(/\s+/).filter((word) => word && !word.startsWith('cfg80211.ieee80211_regdom='))
  return `${[...words, `cfg80211.ieee80211_regdom=${country}`].join(' ')}\n`
}

/**
 * `wifi`: the network first_run_setup.sh configures from the recipe (none where cloud-init
 * does); `country`: the recipe's; `onCmdline`: the country the build put on cmdline.txt
 * ('' when it did not), which the kernel applies at boot: the script sets the regulatory
 * domain itself only when device.env's differs from it (and then keeps it on cmdline.txt).
 */
function wifiSection(wifi: SealedWifi | undefined, country: string, onCmdline: string, traits: ReleaseTraits): string {
  // Countries are [A-Z]{2}: nothing to escape.
  const defaults = [
    `RECIPE_WIFI_SSID=${quote(wifi?.ssid ?? '')}`,
    'WIFI_SSID="${WIFI_SSID:-$RECIPE_WIFI_SSID}"',
    wifi ? `${secretAssignment('RECIPE_WIFI_PSK', wifi.psk)}` : "RECIPE_WIFI_PSK=''",
    `WIFI_PSK="\${WIFI_PSK:-$RECIPE_WIFI_PSK}" # orchard:secret`,
    `REGDOM_ON_CMDLINE='${onCmdline}'`,
    `WIFI_COUNTRY="\${WIFI_COUNTRY:-${wifi || !onCmdline ? country : ''}}"`,
  ]
  const hidden = wifi?.hidden ?? false
  let configure: string
  if (traits.network === 'networkmanager') {
    configure = `  umask 077
  mkdir -p /etc/NetworkManager/system-connections
  cat > /etc/NetworkManager/system-connections/orchard-wifi.nmconnection <<ORCHARD_WIFI
[connection]
id=orchard-wifi
uuid=$(cat /proc/sys/kernel/random/uuid)
type=wifi
interface-name=wlan0
autoconnect=true

[wifi]
mode=infrastructure
ssid=$(ssid_bytes "$WIFI_SSID")
hidden=${hidden}

[wifi-security]
key-mgmt=wpa-psk
psk=$WIFI_PSK

[ipv4]
method=auto

[ipv6]
method=auto
ORCHARD_WIFI
  umask 022
  have nmcli && nmcli connection reload >/dev/null 2>&1 || true`
  } else if (traits.wpaSupplicant) {
    configure = `  umask 077
  mkdir -p /etc/wpa_supplicant
  SSID_HEX=$(printf '%s' "$WIFI_SSID" | od -An -v -tx1 | tr -d ' \\n')
  cat > /etc/wpa_supplicant/wpa_supplicant.conf <<ORCHARD_WIFI
ctrl_interface=DIR=/var/run/wpa_supplicant GROUP=netdev
update_config=1
country=$WIFI_COUNTRY

network={
	ssid=$SSID_HEX
	psk=$WIFI_PSK
	scan_ssid=${hidden ? 1 : 0}
}
ORCHARD_WIFI
  umask 022${
    traits.network === 'ifupdown'
      ? `
  mkdir -p /etc/network/interfaces.d
  printf 'allow-hotplug wlan0\\niface wlan0 inet dhcp\\n    wpa-conf /etc/wpa_supplicant/wpa_supplicant.conf\\n' > /etc/network/interfaces.d/wlan0`
      : ''
  }`
  } else {
    configure = '  fail "wifi requested but this image has neither NetworkManager nor wpa_supplicant"'
  }
  return `# --- wifi (device.env WIFI_SSID / WIFI_PSK / WIFI_COUNTRY override the recipe) ---
${defaults.join('\n')}
if [ -n "$WIFI_SSID" ] && [ -n "$WIFI_PSK" ]; then
  # device.env values, checked by first-run-checks.ts's functions; the PSK is never printed.
  if ! valid_ssid "$WIFI_SSID"; then
    fail "wifi: WIFI_SSID must be 1 to 32 bytes without control characters (line breaks, tabs, escapes)"
  elif ! valid_psk "$WIFI_PSK"; then
    fail "wifi: WIFI_PSK must be the 64-hex-digit WPA PSK, not a passphrase (orchard flash hashes one; so does wpa_passphrase)"
  elif [ -n "$WIFI_COUNTRY" ] && ! valid_country "$WIFI_COUNTRY"; then
    fail "wifi: WIFI_COUNTRY \\"$WIFI_COUNTRY\\" is not a two-letter country code such as GB"
  else
  if [ -n "$WIFI_COUNTRY" ] && [ "$WIFI_COUNTRY" != "$REGDOM_ON_CMDLINE" ]; then
    # Not the country the build put on cmdline.txt: set it now, and on cmdline.txt for every later boot.
    have iw && iw reg set "$WIFI_COUNTRY" 2>/dev/null || true
    have raspi-config && raspi-config nonint do_wifi_country "$WIFI_COUNTRY" >/dev/null 2>&1 || true
    if [ -f "\${ORCHARD_BOOT:-/nonexistent}/cmdline.txt" ]; then
      sed -i -e '1s/ *cfg80211\\.ieee80211_regdom=[^ ]*//g' -e "1s/\\$/ cfg80211.ieee80211_regdom=$WIFI_COUNTRY/" "$ORCHARD_BOOT/cmdline.txt" || fail "wifi: country on cmdline.txt"
    fi
  fi
  # Raspberry Pi OS keeps wifi soft-blocked until a country is set.
  have rfkill && rfkill unblock wifi 2>/dev/null || true
  for state in /var/lib/systemd/rfkill/*:wlan; do [ -e "$state" ] && echo 0 > "$state"; done
${configure}
  log "wifi configured for $WIFI_SSID"
  fi
fi
`
}
