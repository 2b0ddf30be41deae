/**
 * Choose OS: an image of the official catalog (CatalogChooser: downloaded and verified into
 * the cache), or a local image file (typed, picked from the recent ones, or chosen in the desktop
 * app's dialog). Core reads it once for its SHA256 and size, so a wrong path is said here, not
 * at flash time.
 */
import { useId, useState } from 'react'
import { useClient } from '../../client/context'
import { useWizard } from '../../state/wizard'
import { desktop } from '../../ui/desktop'
import { formatBytes } from '../../ui/format'
import { CatalogChooser } from './CatalogChooser'
import { fileName, type QuickImage } from './model'

export function OsChooser({ disabled }: { disabled: boolean }) {
  const client = useClient()
  const id = useId()
  const { quick, setQuick, settings, updateSettings } = useWizard()
  const [typed, setTyped] = useState(quick.image?.path ?? '')
  const [arch, setArch] = useState<QuickImage['arch']>(quick.image?.arch ?? 'arm64')
  const [status, setStatus] = useState<{ text: string; error?: boolean } | null>(null)
  const [reading, setReading] = useState(false)
  const [from, setFrom] = useState<'catalog' | 'file'>('file')

  const use = async (file: string) => {
    if (!file) return
    setTyped(file)
    setReading(true)
    setStatus({ text: `Reading ${file}…` })
    try {
      const { path, sha256, bytes } = await client.call('files.sha256', { path: file })
      setQuick((state) => ({ ...state, image: { path, sha256, bytes, arch, label: fileName(path) } }))
      setStatus(null)
      void updateSettings({ recentSources: [path, ...(settings?.recentSources ?? []).filter((f) => f !== path)].slice(0, 8) })
    } catch (error) {
      setStatus({ text: (error as Error).message, error: true })
    } finally {
      setReading(false)
    }
  }
  const setImageArch = (next: QuickImage['arch']) => {
    setArch(next)
    setQuick((state) => (state.image ? { ...state, image: { ...state.image, arch: next } } : state))
  }

  return (
    <div className="os-chooser">
      {quick.image && (
        <p className="chosen-os" aria-label="Chosen image">
          <strong>{quick.image.label}</strong> · {formatBytes(quick.image.bytes)} · {quick.image.arch} · SHA256 <code title={quick.image.sha256}>{quick.image.sha256.slice(0, 12)}…</code>
        </p>
      )}
      <fieldset className="os-source">
        <legend>Where the image comes from</legend>
        <label>
          <input type="radio" name={`${id}-from`} checked={from === 'catalog'} onChange={() => setFrom('catalog')} disabled={disabled} /> Official catalog
        </label>
        <label>
          <input type="radio" name={`${id}-from`} checked={from === 'file'} onChange={() => setFrom('file')} disabled={disabled} /> Use a local file
        </label>
      </fieldset>
      {from === 'catalog' && (
        <CatalogChooser
          disabled={disabled}
          onChosen={(image) => {
            setArch(image.arch)
            setQuick((state) => ({ ...state, image }))
          }}
        />
      )}
      {from === 'file' && (
      <div className="field">
        <label htmlFor={`${id}-file`}>Image file</label>
        <div className="row">
          <input
            id={`${id}-file`}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            onKeyDown={(event) => event.key === 'Enter' && (event.preventDefault(), void use(typed))}
            placeholder="/path/to/raspios-lite.img.xz"
            aria-describedby={`${id}-hint`}
            aria-invalid={status?.error === true}
            spellCheck={false}
            disabled={disabled}
          />
          <button type="button" onClick={() => void use(typed)} disabled={!typed || reading || disabled}>
            Use this image
          </button>
          {desktop() && (
            <button
              type="button"
              disabled={reading || disabled}
              onClick={() => void desktop()!.openFile({ title: 'Choose the image', filters: [{ name: 'Disk images', extensions: ['img', 'xz', 'zip'] }] }).then((file) => (file ? use(file) : undefined))}
            >
              Choose image file…
            </button>
          )}
        </div>
        <p id={`${id}-hint`} className="hint">
          A stock .img, .img.xz or .zip (Raspberry Pi OS or one built here). It is never changed: the settings are laid over it on the way to each card.
        </p>
        {(settings?.recentSources.length ?? 0) > 0 && (
          <>
          <p id={`${id}-recent`} className="hint">
            Recent image files
          </p>
          <ul className="choices" aria-labelledby={`${id}-recent`}>
            {settings!.recentSources.map((file) => (
              <li key={file}>
                <button type="button" onClick={() => void use(file)} disabled={reading || disabled} aria-pressed={quick.image?.path === file}>
                  {file}
                </button>
              </li>
            ))}
          </ul>
          </>
        )}
      </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-arch`}>Architecture</label>
        <select id={`${id}-arch`} value={arch} onChange={(event) => setImageArch(event.target.value as QuickImage['arch'])} disabled={disabled}>
          <option value="arm64">arm64 (64-bit)</option>
          <option value="armhf">armhf (32-bit)</option>
        </select>
      </div>
      {status && (
        <p role={status.error ? 'alert' : 'status'} className={status.error ? 'error' : 'small'}>
          {status.text}
        </p>
      )}
    </div>
  )
}
