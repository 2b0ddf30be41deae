/**
 * A device's wifi variables as device.env carries them: first_run_setup.sh takes only the
 * 64-hex WPA PSK, so a passphrase is hashed here with the device's WIFI_SSID (the passphrase
 * never reaches the card), and what the device could not use is refused before anything is
 * written. Messages name the variable, never its value.
 */
import { isValidSsid, SSID_RULE } from '../features/wifi'
import { wifiPsk } from '../recipe/crypt'
import { BuildError } from '../util/errors'

const PSK = /^[0-9a-f]{64}$/i
const PASSPHRASE = /^[\x20-\x7e]{8,63}$/

export function deviceWifi(hostname: string, variables: Record<string, string>): Record<string, string> {
  const { WIFI_SSID: ssid, WIFI_PSK: psk } = variables
  if (ssid !== undefined && !isValidSsid(ssid)) throw new BuildError('INVALID_INPUT', `WIFI_SSID of ${hostname} ${SSID_RULE}`)
  if (psk === undefined || psk === '') return variables
  if (PSK.test(psk)) return { ...variables, WIFI_PSK: psk.toLowerCase() }
  if (!PASSPHRASE.test(psk)) {
    throw new BuildError('INVALID_INPUT', `WIFI_PSK of ${hostname} must be a WPA2 passphrase of 8 to 63 printable ASCII characters, or the 64-hex-digit PSK`)
  }
  if (!ssid) {
    throw new BuildError('INVALID_INPUT', `WIFI_PSK of ${hostname} is a passphrase: hashing it needs the network name, so give the device a WIFI_SSID too (or the 64-hex-digit PSK)`)
  }
  return { ...variables, WIFI_PSK: wifiPsk(ssid, psk) }
}
