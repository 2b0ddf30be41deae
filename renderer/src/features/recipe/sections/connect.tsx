/**
 * Raspberry Pi Connect: a sign-in token and who signs in. The token cannot be hashed (the
 * device sends it to Connect), so it is kept as typed, in the recipe's `connect.authKey`;
 * the field never shows it again once set.
 */
import { getAt } from '../draft'
import { TextField, useForm } from '../form'
import { SecretField } from '../SecretField'

export function ConnectFields() {
  const form = useForm()
  const enabled = getAt(form.data, 'connect') !== undefined
  return (
    <>
      <div className="field checkbox">
        <input id="connect-enable" type="checkbox" checked={enabled} onChange={(event) => form.set('connect', event.target.checked ? {} : undefined)} />
        <label htmlFor="connect-enable">Sign in to Raspberry Pi Connect at first boot</label>
      </div>
      {enabled && (
        <>
          <SecretField
            path="connect.authKey"
            label="Connect sign-in token"
            sealedLabel="Token set (a secret: removed from the card once the device has it)."
            hint="From connect.raspberrypi.com. It cannot be hashed: the recipe keeps it as a secret, and rpi-connect on the device signs in with it."
            errorPaths={['connect.token']}
          />
          <TextField
            path="connect.user"
            label="Sign in as user"
            hint="Empty: the first user above, else the image's own first user"
            onChange={(value) => form.set('connect.user', value.trim() ? value : undefined)}
          />
        </>
      )}
    </>
  )
}
