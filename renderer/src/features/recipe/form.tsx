/**
 * Form fields bound to a path in the recipe draft. Each shows core's validation problem for
 * its path (once touched, or after a save attempt) and links it with aria-describedby.
 */
import { createContext, useContext, useId, useState, type ReactNode } from 'react'
import { getAt, splitList, type RecipeDraft } from './draft'

export interface FormApi {
  data: RecipeDraft
  set(path: string, value: unknown): void
  /** Problems at `path` (and, with `nested`, below it), if they are to be shown. */
  errors(path: string, nested?: boolean): string[]
  touch(path: string): void
}

const FormContext = createContext<FormApi | null>(null)
export const FormProvider = ({ api, children }: { api: FormApi; children: ReactNode }) => <FormContext.Provider value={api}>{children}</FormContext.Provider>

export function useForm(): FormApi {
  const form = useContext(FormContext)
  if (!form) throw new Error('useForm outside FormProvider')
  return form
}

interface FieldProps {
  path: string
  label: string
  hint?: string
  /** Problems of this path and below it (lists). */
  nested?: boolean
}

/** Label, control and the field's problems, wired for assistive technology (custom controls use it too). */
export function Field({ id, label, hint, errors, children }: { id: string; label: string; hint?: string; errors: string[]; children: ReactNode }) {
  return (
    <div className={errors.length ? 'field invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {errors.length > 0 && (
        <p id={`${id}-error`} className="field-error">
          {errors.join('; ')}
        </p>
      )}
    </div>
  )
}

export const describedBy = (id: string, hint?: string, errors: string[] = []) =>
  [errors.length ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined

export function TextField({ path, label, hint, nested, type = 'text', placeholder, onChange }: FieldProps & { type?: string; placeholder?: string; onChange?: (value: string) => void }) {
  const form = useForm()
  const id = useId()
  const errors = form.errors(path, nested)
  const value = getAt(form.data, path)
  return (
    <Field id={id} label={label} hint={hint} errors={errors}>
      <input
        id={id}
        type={type}
        value={value === undefined || value === null ? '' : String(value)}
        placeholder={placeholder}
        onChange={(event) => (onChange ? onChange(event.target.value) : form.set(path, event.target.value))}
        onBlur={() => form.touch(path)}
        aria-invalid={errors.length > 0}
        aria-describedby={describedBy(id, hint, errors)}
        spellCheck={false}
      />
    </Field>
  )
}

export function TextAreaField({ path, label, hint, rows = 3 }: FieldProps & { rows?: number }) {
  const form = useForm()
  const id = useId()
  const errors = form.errors(path)
  const value = getAt(form.data, path)
  return (
    <Field id={id} label={label} hint={hint} errors={errors}>
      <textarea
        id={id}
        rows={rows}
        value={typeof value === 'string' ? value : ''}
        onChange={(event) => form.set(path, event.target.value)}
        onBlur={() => form.touch(path)}
        aria-invalid={errors.length > 0}
        aria-describedby={describedBy(id, hint, errors)}
        spellCheck={false}
      />
    </Field>
  )
}

export function SelectField({ path, label, hint, options }: FieldProps & { options: { value: string; label: string }[] }) {
  const form = useForm()
  const id = useId()
  const errors = form.errors(path)
  const value = getAt(form.data, path)
  return (
    <Field id={id} label={label} hint={hint} errors={errors}>
      <select id={id} value={typeof value === 'string' ? value : ''} onChange={(event) => form.set(path, event.target.value)} aria-invalid={errors.length > 0} aria-describedby={describedBy(id, hint, errors)}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </Field>
  )
}

export function CheckboxField({ path, label, hint, fallback = false }: FieldProps & { fallback?: boolean }) {
  const form = useForm()
  const id = useId()
  const errors = form.errors(path)
  const value = getAt(form.data, path)
  return (
    <div className={errors.length ? 'field checkbox invalid' : 'field checkbox'}>
      <input id={id} type="checkbox" checked={typeof value === 'boolean' ? value : fallback} onChange={(event) => form.set(path, event.target.checked)} aria-describedby={describedBy(id, hint, errors)} />
      <label htmlFor={id}>{label}</label>
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
      {errors.length > 0 && <p id={`${id}-error`} className="field-error">{errors.join('; ')}</p>}
    </div>
  )
}

/**
 * A list of strings typed as text: one per line (`separator: 'lines'`) or separated by
 * commas and spaces. Keeps what is typed as is (a trailing comma or newline survives) and
 * stores the list.
 */
export function ListField({ path, label, hint, separator = 'comma', rows = 3 }: FieldProps & { separator?: 'comma' | 'lines'; rows?: number }) {
  const form = useForm()
  const id = useId()
  const errors = form.errors(path, true)
  const list = getAt(form.data, path)
  const items = Array.isArray(list) ? list.map(String) : []
  const [text, setText] = useState(() => items.join(separator === 'lines' ? '\n' : ', '))
  // The list changed from outside (a recipe was opened): show it.
  if (toList(text, separator).join('\u0000') !== items.join('\u0000')) setText(items.join(separator === 'lines' ? '\n' : ', '))
  const change = (next: string) => {
    setText(next)
    form.set(path, toList(next, separator))
  }
  const common = {
    id,
    value: text,
    onBlur: () => form.touch(path),
    'aria-invalid': errors.length > 0,
    'aria-describedby': describedBy(id, hint, errors),
    spellCheck: false,
  }
  return (
    <Field id={id} label={label} hint={hint} errors={errors}>
      {separator === 'lines' ? (
        <textarea {...common} rows={rows} onChange={(event) => change(event.target.value)} />
      ) : (
        <input {...common} onChange={(event) => change(event.target.value)} />
      )}
    </Field>
  )
}

const toList = (text: string, separator: 'comma' | 'lines') =>
  separator === 'lines' ? text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean) : splitList(text)
