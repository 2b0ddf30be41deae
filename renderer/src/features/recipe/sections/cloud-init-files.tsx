/**
 * A user's own cloud-init files, merged at build time with what the rest of the recipe
 * sets (a conflict fails the build, naming both sides). Only releases whose settings
 * cloud-init applies take them (Trixie images from 2025-11-24); the build refuses them elsewhere.
 */
import { getAt } from '../draft'
import { TextField, useForm } from '../form'

const FIELDS = [
  { key: 'userData', label: 'user-data file', hint: 'A #cloud-config file next to the recipe' },
  { key: 'networkConfig', label: 'network-config file', hint: 'A netplan version 2 file next to the recipe' },
] as const

export function CloudInitFilesFields() {
  const form = useForm()
  const current = (getAt(form.data, 'cloudInit') ?? {}) as Record<string, unknown>
  // An empty name is no file: with neither named, the recipe has no cloudInit at all.
  const change = (key: string, value: string) => {
    const next = { ...current, [key]: value.trim() ? value : undefined }
    form.set('cloudInit', Object.values(next).some((entry) => entry !== undefined) ? next : undefined)
  }
  return (
    <>
      <p className="hint">Only for releases with cloud-init (Raspberry Pi OS Trixie from 2025-11-24): merged with the settings above; a clash fails the build and names both sides.</p>
      {FIELDS.map(({ key, label, hint }) => (
        <TextField key={key} path={`cloudInit.${key}`} label={label} hint={hint} placeholder={`cloud-init/${key === 'userData' ? 'user-data' : 'network-config'}`} onChange={(value) => change(key, value)} />
      ))}
    </>
  )
}
