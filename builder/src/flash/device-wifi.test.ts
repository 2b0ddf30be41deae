/** A device's wifi in device.env: a passphrase is hashed on the host, a bad one refused before anything is written. */
import { describe, expect, it } from 'vitest'
import { wifiPsk } from '../recipe/crypt'
import { renderDeviceEnv } from './device-files'

const env = (variables: Record<string, string>) => renderDeviceEnv({ hostname: 'pi-1', variables })

describe('WIFI_PSK in device.env', () => {
  it('turns a plain passphrase into the 64-hex WPA PSK with the device\'s SSID; the passphrase is not written', () => {
    const text = env({ WIFI_SSID: 'site net', WIFI_PSK: 'device passphrase' })
    expect(text).toContain(`\nWIFI_PSK=${wifiPsk('site net', 'device passphrase')}\n`)
    expect(text).not.toContain('device passphrase')
  })

  it('keeps a 64-hex PSK as it is (lowercase)', () => {
    const psk = 'AB'.repeat(32)
    expect(env({ WIFI_SSID: 'x', WIFI_PSK: psk })).toContain(`\nWIFI_PSK=${psk.toLowerCase()}\n`)
  })

  it.each([
    ['too short', { WIFI_SSID: 'x', WIFI_PSK: 'short' }, 'WIFI_PSK of pi-1 must be a WPA2 passphrase of 8 to 63 printable ASCII characters, or the 64-hex-digit PSK'],
    ['not ASCII', { WIFI_SSID: 'x', WIFI_PSK: 'pässphrase-long' }, 'WIFI_PSK of pi-1 must be a WPA2 passphrase of 8 to 63 printable ASCII characters, or the 64-hex-digit PSK'],
    ['without an SSID', { WIFI_PSK: 'long enough passphrase' }, 'WIFI_PSK of pi-1 is a passphrase: hashing it needs the network name, so give the device a WIFI_SSID too (or the 64-hex-digit PSK)'],
    ['with a control character in the SSID', { WIFI_SSID: 'a\tb', WIFI_PSK: 'long enough passphrase' }, 'WIFI_SSID of pi-1 must be 1 to 32 bytes without control characters'],
    ['with a 33-byte SSID', { WIFI_SSID: 'é'.repeat(17) }, 'WIFI_SSID of pi-1 must be 1 to 32 bytes without control characters'],
  ])('refuses %s, naming the variable and never its value', (_what, variables, message) => {
    let error: Error | undefined
    try {
      env(variables)
    } catch (caught) {
      error = caught as Error
    }
    expect(error?.message).toBe(message)
    expect(error?.message).not.toContain('passphrase-long')
  })
})
