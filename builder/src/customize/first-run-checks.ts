/**
 * The shell functions first_run_setup.sh checks device.env values with, defined once in its
 * header and used by every section that takes such a value: an interface name becomes part
 * of a path, an SSID a line of a config file. A section refuses a value that fails (with the
 * variable's name) and writes nothing for it.
 */
export const FIRST_RUN_CHECKS = `# Checks for device.env values: a section that gets a bad one fails and writes nothing.
# An interface name as Linux takes it, from a safe set: 1-15 of A-Z a-z 0-9 _ . : -, not . or ..
valid_iface() {
  case $1 in '' | . | .. | *[!A-Za-z0-9_.:-]*) return 1 ;; esac
  [ "\${#1}" -le 15 ]
}
valid_ipv4() {
  case $1 in '' | *[!0-9.]* | .* | *. | *..*) return 1 ;; esac
  _rest="$1."
  _parts=0
  while [ -n "$_rest" ]; do
    _part=\${_rest%%.*}
    _rest=\${_rest#*.}
    case $_part in ? | ?? | ???) [ "$_part" -le 255 ] || return 1 ;; *) return 1 ;; esac
    _parts=$((_parts + 1))
  done
  [ "$_parts" = 4 ]
}
valid_cidr() {
  case $1 in */*) valid_ipv4 "\${1%/*}" || return 1 ;; *) return 1 ;; esac
  case \${1#*/} in [0-9] | [12][0-9] | 3[0-2]) return 0 ;; esac
  return 1
}
# IPv4 addresses separated by single spaces.
# (sh variables are global: not valid_ipv4's _rest)
valid_dns() {
  _servers="$1 "
  while [ -n "$_servers" ]; do
    valid_ipv4 "\${_servers%% *}" || return 1
    _servers=\${_servers#* }
  done
}
# 1-32 bytes and no control character (a line break would add lines to a config file).
valid_ssid() {
  case $1 in '' | *[[:cntrl:]]*) return 1 ;; esac
  [ "$(printf '%s' "$1" | wc -c)" -le 32 ]
}
# The 64-hex-digit WPA PSK, never a passphrase (orchard flash hashes those on the host).
valid_psk() {
  case $1 in *[!0-9A-Fa-f]*) return 1 ;; esac
  [ "\${#1}" = 64 ]
}
valid_country() {
  case $1 in [A-Z][A-Z]) return 0 ;; esac
  return 1
}
# An SSID as NetworkManager's byte list (104;105;): unambiguous, no keyfile escaping needed.
ssid_bytes() {
  printf '%s' "$1" | od -An -v -tu1 | tr -s ' \\n' '\\n\\n' | sed '/^$/d' | tr '\\n' ';'
}
`
