/**
 * Static IPv4 addresses per interface, for the release's network stack; a card's device.env
 * STATIC_IP / GATEWAY / DNS (for eth0, or STATIC_IFACE) override the recipe's.
 */
import { z } from 'zod'
import { quote } from '../customize/shell'
import type { ReleaseTraits } from '../image/traits'
import { Ipv4, isIpv4 } from '../recipe/fields'
import { defineFeature } from './feature'

const StaticIp = z
  .object({
    address: z.string().refine((cidr) => {
      const [ip, prefix] = cidr.split('/')
      return isIpv4(ip ?? '') && /^\d{1,2}$/.test(prefix ?? '') && Number(prefix) <= 32
    }, 'must be an IPv4 address with a prefix length, e.g. 192.168.1.50/24'),
    gateway: Ipv4.optional(),
    dns: z.array(Ipv4).default([]),
  })
  .strict()

export const staticNetwork = defineFeature({
  id: 'static-network',
  title: 'Static addresses',
  schema: { network: z.record(z.string().regex(/^[a-z][a-z0-9]{1,14}$/, 'must be an interface name such as eth0'), StaticIp).default({}) },
  firstRun: ({ network }, { traits }) => {
    const eth0 = network.eth0
    const lines = [
      '# --- static IPv4 (device.env STATIC_IP / GATEWAY / DNS / STATIC_IFACE override the recipe for one interface) ---',
      `STATIC_IFACE="\${STATIC_IFACE:-eth0}"`,
      // Validated IPv4 text: nothing to escape.
      `STATIC_IP="\${STATIC_IP:-${eth0?.address ?? ''}}"`,
      `GATEWAY="\${GATEWAY:-${eth0?.gateway ?? ''}}"`,
      `DNS="\${DNS:-${eth0?.dns.join(' ') ?? ''}}"`,
      'configure_static() { # interface address/prefix gateway "dns servers"',
      // device.env values: checked by first-run-checks.ts's functions before any is written.
      '  valid_iface "$1" || { fail "static address: STATIC_IFACE \\"$1\\" is not an interface name (1-15 of A-Z a-z 0-9 _ . : -, not . or ..)"; return 0; }',
      '  valid_cidr "$2" || { fail "static address: STATIC_IP \\"$2\\" is not an IPv4 address with a prefix length, e.g. 192.168.1.50/24"; return 0; }',
      '  [ -z "$3" ] || valid_ipv4 "$3" || { fail "static address: GATEWAY \\"$3\\" is not an IPv4 address"; return 0; }',
      '  [ -z "$4" ] || valid_dns "$4" || { fail "static address: DNS \\"$4\\" is not IPv4 addresses separated by single spaces"; return 0; }',
      staticConfigurator(traits),
      '}',
      'if [ -n "$STATIC_IP" ]; then configure_static "$STATIC_IFACE" "$STATIC_IP" "$GATEWAY" "$DNS"; fi',
    ]
    for (const [name, config] of Object.entries(network)) {
      if (name === 'eth0') continue
      lines.push(`configure_static ${quote(name)} ${quote(config.address)} ${quote(config.gateway ?? '')} ${quote(config.dns.join(' '))}`)
    }
    return `${lines.join('\n')}\n`
  },
  describe: ({ network }) => Object.entries(network).map(([name, config]) => `static ${name} ${config.address}${config.gateway ? ` via ${config.gateway}` : ''}`),
  example: { network: { eth0: { address: '192.168.1.50/24', gateway: '192.168.1.1', dns: ['192.168.1.1'] } } },
})

function staticConfigurator(traits: ReleaseTraits): string {
  switch (traits.network) {
    case 'networkmanager':
      return `  umask 077
  mkdir -p /etc/NetworkManager/system-connections
  {
    printf '[connection]\\nid=orchard-%s\\ntype=ethernet\\ninterface-name=%s\\nautoconnect=true\\n\\n' "$1" "$1"
    printf '[ipv4]\\nmethod=manual\\naddress1=%s%s\\n' "$2" "\${3:+,$3}"
    [ -n "$4" ] && printf 'dns=%s;\\n' "$(printf '%s' "$4" | tr ' ' ';')"
    printf '\\n[ipv6]\\nmethod=auto\\n'
  } > "/etc/NetworkManager/system-connections/orchard-$1.nmconnection"
  umask 022
  log "static address $2 on $1 (NetworkManager)"
  # In effect on this boot too: NetworkManager may already have brought the interface up on DHCP.
  if have nmcli && nmcli -t -f RUNNING general >/dev/null 2>&1; then
    nmcli connection reload >/dev/null 2>&1
    nmcli --wait 30 connection up "orchard-$1" >/dev/null 2>&1 || log "static address on $1: not active yet (NetworkManager brings it up when $1 appears)"
  fi`
    case 'dhcpcd':
      return `  {
    printf '\\n# Orchard static address\\ninterface %s\\nstatic ip_address=%s\\n' "$1" "$2"
    [ -n "$3" ] && printf 'static routers=%s\\n' "$3"
    [ -n "$4" ] && printf 'static domain_name_servers=%s\\n' "$4"
  } >> /etc/dhcpcd.conf
  log "static address $2 on $1 (dhcpcd)"
  # In effect on this boot too: a running dhcpcd rereads its configuration and rebinds the interface.
  have dhcpcd && dhcpcd --rebind "$1" >/dev/null 2>&1 || true`
    case 'ifupdown':
      return `  mkdir -p /etc/network/interfaces.d
  {
    printf 'auto %s\\niface %s inet static\\n    address %s\\n' "$1" "$1" "$2"
    [ -n "$3" ] && printf '    gateway %s\\n' "$3"
    [ -n "$4" ] && printf '    dns-nameservers %s\\n' "$4"
  } > "/etc/network/interfaces.d/$1"
  if [ -n "$4" ] && [ ! -L /etc/resolv.conf ]; then printf '%s\\n' "$4" | tr ' ' '\\n' | sed 's/^/nameserver /' > /etc/resolv.conf; fi
  log "static address $2 on $1 (ifupdown)"
  # In effect on this boot too: networking.service has already run without this stanza.
  if have ifup; then ifdown --force "$1" >/dev/null 2>&1; ifup "$1" >/dev/null 2>&1 || log "static address on $1: ifup failed (applied at next boot)"; fi`
    case 'none':
      return `  mkdir -p /etc/systemd/network
  {
    printf '[Match]\\nName=%s\\n\\n[Network]\\nAddress=%s\\n' "$1" "$2"
    [ -n "$3" ] && printf 'Gateway=%s\\n' "$3"
    [ -z "$4" ] || printf '%s\\n' "$4" | tr ' ' '\\n' | sed 's/^/DNS=/'
  } > "/etc/systemd/network/10-orchard-$1.network"
  have systemctl && systemctl enable systemd-networkd >/dev/null 2>&1 || fail "enable systemd-networkd"
  log "static address $2 on $1 (systemd-networkd)"`
  }
}
