/** Secrets typed once in the app, sealed by the builder's own functions: only the hash or PSK is ever kept. */
import { hashPassword, wifiPsk } from '../../../builder/src/recipe/crypt'
import type { Input, Output } from '@common/contract'
import { OrchardError } from '@common/errors'

export function sealSecret(input: Input<'secrets.seal'>): Output<'secrets.seal'> {
  if (input.kind === 'password') return { sealed: hashPassword(input.password) }
  const { ssid, passphrase } = input
  // The recipe's own rule (WPA2): checked here too, since a PSK hides what was typed.
  if (passphrase.length < 8 || passphrase.length > 63) throw new OrchardError('INVALID_INPUT', 'The wifi passphrase must be 8 to 63 characters')
  if (!/^[\x20-\x7e]*$/.test(passphrase)) throw new OrchardError('INVALID_INPUT', 'The wifi passphrase must be printable ASCII characters')
  return { sealed: wifiPsk(ssid, passphrase) }
}
