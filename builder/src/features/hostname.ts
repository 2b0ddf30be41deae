/**
 * The hostname. A plain name is cloud-init's where cloud-init applies settings; a
 * `{{serial}}` pattern (known only on the device) and every other release take
 * first_run_setup.sh, which also applies a card's device.env HOSTNAME everywhere.
 */
import { quote } from '../customize/shell'
import { Hostname } from '../recipe/fields'
import type { ReleaseTraits } from '../image/traits'
import { defineFeature } from './feature'

// A {{serial}} pattern is only known on the device: first_run_setup.sh sets it there.
const isPattern = (hostname: string) => hostname.includes('{{')
const ownsHostname = (hostname: string | undefined, traits: ReleaseTraits) => traits.firstBoot !== 'cloud-init' || (hostname !== undefined && isPattern(hostname))

export const hostname = defineFeature({
  id: 'hostname',
  title: 'Hostname',
  system: { hostname: Hostname.optional() },
  firstRun: ({ system }, { traits }) => `# --- hostname (device.env HOSTNAME overrides the recipe) ---
RECIPE_HOSTNAME=${quote(ownsHostname(system.hostname, traits) ? (system.hostname ?? '') : '')}
NEW_HOSTNAME="\${HOSTNAME:-$RECIPE_HOSTNAME}"
if [ -n "$NEW_HOSTNAME" ]; then
  SERIAL=$(sed -n 's/^Serial[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | tail -c 9)
  [ -n "$SERIAL" ] || SERIAL=$(cut -c1-8 /etc/machine-id 2>/dev/null)
  NEW_HOSTNAME=$(printf '%s' "$NEW_HOSTNAME" | sed "s/{{serial}}/$SERIAL/g")
  if printf '%s' "$NEW_HOSTNAME" | grep -Eq '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'; then
    echo "$NEW_HOSTNAME" > /etc/hostname
    if grep -q '^127\\.0\\.1\\.1' /etc/hosts; then
      sed -i "s/^127\\.0\\.1\\.1.*/127.0.1.1\\t$NEW_HOSTNAME/" /etc/hosts
    else
      printf '127.0.1.1\\t%s\\n' "$NEW_HOSTNAME" >> /etc/hosts
    fi
    hostname "$NEW_HOSTNAME" 2>/dev/null || true${
      traits.cloudInit
        ? `
    # cloud-init would put its own name back at the next boot: this one is the device's now.
    mkdir -p /etc/cloud/cloud.cfg.d && printf 'preserve_hostname: true\\nmanage_etc_hosts: false\\n' > /etc/cloud/cloud.cfg.d/99-orchard-hostname.cfg`
        : ''
    }
    log "hostname set to $NEW_HOSTNAME"
  else
    fail "invalid hostname: $NEW_HOSTNAME"
  fi
fi
`,
  cloudConfig: ({ system }) => (system.hostname && !isPattern(system.hostname) ? { hostname: system.hostname, manage_etc_hosts: true } : {}),
  describe: ({ system }) => (system.hostname ? [`hostname ${system.hostname}`] : []),
  example: { system: { hostname: 'sensor-{{serial}}' } },
})
