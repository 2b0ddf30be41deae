/** The hostname, with `{{serial}}` filled in at first boot; a card's device.env HOSTNAME overrides it. */
import { quote } from '../customize/shell'
import { Hostname } from '../recipe/fields'
import { defineFeature } from './feature'

export const hostname = defineFeature({
  id: 'hostname',
  title: 'Hostname',
  system: { hostname: Hostname.optional() },
  firstRun: ({ system }) => `# --- hostname (device.env HOSTNAME overrides the recipe) ---
RECIPE_HOSTNAME=${quote(system.hostname ?? '')}
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
    hostname "$NEW_HOSTNAME" 2>/dev/null || true
    log "hostname set to $NEW_HOSTNAME"
  else
    fail "invalid hostname: $NEW_HOSTNAME"
  fi
fi
`,
  // A {{serial}} pattern is only known on the device: first_run_setup.sh sets it there.
  cloudConfig: ({ system }) => (system.hostname && !system.hostname.includes('{{') ? { hostname: system.hostname, manage_etc_hosts: true } : {}),
  describe: ({ system }) => (system.hostname ? [`hostname ${system.hostname}`] : []),
  example: { system: { hostname: 'sensor-{{serial}}' } },
})
