/**
 * A secret typed once: core seals it (a password into a sha512crypt hash, a wifi passphrase
 * into its WPA PSK) and only the sealed form is kept in the recipe; one that cannot be hashed
 * (no `seal`: a token the device must send) is kept as typed, a secret of the recipe. The
 * typed text leaves the field as soon as it is set, and is never shown again.
 */
import { useId, useState } from 'react'
import type { Input } from '@common/contract'
import { useClient } from '../../client/context'
import { getAt } from './draft'
import { useForm } from './form'

interface Props {
  /** Where the sealed value goes (passwordHash, psk). */
  path: string
  label: string
  /** What core seals the typed text with (or a problem to show); none: kept as typed. */
  seal?: (typed: string) => Input<'secrets.seal'> | string
  sealedLabel: string
  hint?: string
  /** Other recipe paths whose problems show on this field. */
  errorPaths?: string[]
}

export function SecretField({ path, label, seal, sealedLabel, hint = 'Typed once: only its hash is kept in the recipe.', errorPaths = [] }: Props) {
  const client = useClient()
  const form = useForm()
  const id = useId()
  const [typed, setTyped] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const sealed = getAt(form.data, path)
  const errors = [...form.errors(path), ...errorPaths.flatMap((other) => form.errors(other)), ...(problem ? [problem] : [])]

  const submit = async () => {
    if (!typed.trim()) return
    if (!seal) {
      form.set(path, typed.trim())
      return setTyped('')
    }
    const request = seal(typed)
    if (typeof request === 'string') return setProblem(request)
    setBusy(true)
    try {
      const { sealed: value } = await client.call('secrets.seal', request)
      form.set(path, value)
      setTyped('')
      setProblem(null)
    } catch (error) {
      setProblem((error as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className={errors.length ? 'field invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {typeof sealed === 'string' && sealed ? (
        <p className="sealed">
          <span>{sealedLabel}</span>{' '}
          <button type="button" onClick={() => form.set(path, undefined)}>
            Change {label.toLowerCase()}
          </button>
        </p>
      ) : (
        <div className="row">
          <input
            id={id}
            type="password"
            autoComplete={seal ? 'new-password' : 'off'}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            onKeyDown={(event) => event.key === 'Enter' && (event.preventDefault(), void submit())}
            onBlur={() => form.touch(path)}
            aria-invalid={errors.length > 0}
            aria-describedby={errors.length ? `${id}-error` : `${id}-hint`}
          />
          <button type="button" onClick={() => void submit()} disabled={!typed.trim() || busy}>
            Set {label.toLowerCase()}
          </button>
        </div>
      )}
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
      {errors.length > 0 && (
        <p id={`${id}-error`} className="field-error">
          {errors.join('; ')}
        </p>
      )}
    </div>
  )
}
