/**
 * Raspberry Pi Connect: a sign-in token and who signs in. The token cannot be hashed (the
 * device sends it to Connect), so it is kept as typed, in the recipe's `connect.authKey`;
 * the field never shows it again once set.
 */
import { useId, useState } from 'react'
import { getAt } from '../draft'
import { TextField, useForm } from '../form'

export function ConnectFields() {
  const form = useForm()
  const id = useId()
  const [typed, setTyped] = useState('')
  const enabled = getAt(form.data, 'connect') !== undefined
  const set = typeof getAt(form.data, 'connect.authKey') === 'string' && Boolean(getAt(form.data, 'connect.authKey'))
  const errors = [...form.errors('connect.authKey'), ...form.errors('connect.token')]
  const submit = () => {
    if (!typed.trim()) return
    form.set('connect.authKey', typed.trim())
    setTyped('')
  }
  return (
    <>
      <div className="field checkbox">
        <input id="connect-enable" type="checkbox" checked={enabled} onChange={(event) => form.set('connect', event.target.checked ? {} : undefined)} />
        <label htmlFor="connect-enable">Sign in to Raspberry Pi Connect at first boot</label>
      </div>
      {enabled && (
        <>
          <div className={errors.length ? 'field invalid' : 'field'}>
            <label htmlFor={id}>Connect sign-in token</label>
            {set ? (
              <p className="sealed">
                <span>Token set (a secret: removed from the card once the device has it).</span>{' '}
                <button type="button" onClick={() => form.set('connect.authKey', undefined)}>
                  Change connect sign-in token
                </button>
              </p>
            ) : (
              <div className="row">
                <input
                  id={id}
                  type="password"
                  autoComplete="off"
                  value={typed}
                  onChange={(event) => setTyped(event.target.value)}
                  onKeyDown={(event) => event.key === 'Enter' && (event.preventDefault(), submit())}
                  onBlur={() => form.touch('connect.authKey')}
                  aria-invalid={errors.length > 0}
                  aria-describedby={errors.length ? `${id}-error` : `${id}-hint`}
                />
                <button type="button" onClick={submit} disabled={!typed.trim()}>
                  Set connect sign-in token
                </button>
              </div>
            )}
            <p id={`${id}-hint`} className="hint">
              From connect.raspberrypi.com. It cannot be hashed: the recipe keeps it as a secret, and rpi-connect on the device signs in with it.
            </p>
            {errors.length > 0 && (
              <p id={`${id}-error`} className="field-error">
                {errors.join('; ')}
              </p>
            )}
          </div>
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
