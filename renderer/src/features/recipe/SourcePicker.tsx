/**
 * The source image: an official release (URL + SHA256) from an editable list, any URL, or a
 * local file — typed, picked from recent files, or dropped — whose SHA256 core computes.
 */
import { useState, type DragEvent } from 'react'
import type { Settings } from '@common/contract'
import { useClient } from '../../client/context'
import { useWizard } from '../../state/wizard'
import { desktop } from '../../ui/desktop'
import { formatBytes } from '../../ui/format'
import { getAt } from './draft'
import { TextField, useForm } from './form'
import { ReleaseListEditor } from './ReleaseListEditor'


export function SourcePicker() {
  const client = useClient()
  const form = useForm()
  const { settings, updateSettings } = useWizard()
  const [note, setNote] = useState<string | null>(null)
  const [hashing, setHashing] = useState(false)
  const kind = getAt(form.data, 'source.url') !== undefined ? 'url' : 'path'
  const path = String(getAt(form.data, 'source.path') ?? '')
  const releases = settings?.releases ?? []

  const setKind = (next: 'url' | 'path') => form.set('source', next === 'url' ? { url: '', sha256: '' } : { path: '', sha256: '' })

  const pickRelease = (release: Settings['releases'][number]) => {
    form.set('source', { url: release.url, sha256: release.sha256 })
    form.set('arch', release.arch)
  }

  const pickLocal = async (file: string) => {
    form.set('source', { path: file, sha256: '' })
    setHashing(true)
    setNote(`Computing the SHA256 of ${file}…`)
    try {
      const { sha256, bytes } = await client.call('files.sha256', { path: file })
      form.set('source', { path: file, sha256 })
      setNote(`${file}: ${formatBytes(bytes)}, SHA256 computed`)
      const recent = [file, ...(settings?.recentSources ?? []).filter((f) => f !== file)]
      void updateSettings({ recentSources: recent })
    } catch (error) {
      setNote((error as Error).message)
    } finally {
      setHashing(false)
    }
  }

  const drop = (event: DragEvent) => {
    event.preventDefault()
    const file = event.dataTransfer.files[0]
    if (!file) return
    const full = desktop()?.pathForFile(file)
    if (full) void pickLocal(full)
    else setNote(`A browser does not tell the app where "${file.name}" is: type its full path below (in the desktop app, dropping works).`)
  }

  return (
    <fieldset className="source" onDragOver={(event) => event.preventDefault()} onDrop={drop}>
      <legend>Source image</legend>
      <div role="radiogroup" aria-label="Source kind" className="row">
        <label>
          <input type="radio" name="source-kind" checked={kind === 'url'} onChange={() => setKind('url')} /> Official release or URL
        </label>
        <label>
          <input type="radio" name="source-kind" checked={kind === 'path'} onChange={() => setKind('path')} /> Local file
        </label>
      </div>
      {kind === 'url' ? (
        <>
          {releases.length > 0 && (
            <ul className="choices" aria-label="Official releases">
              {releases.map((release) => (
                <li key={release.url}>
                  <button type="button" onClick={() => pickRelease(release)} aria-pressed={getAt(form.data, 'source.url') === release.url}>
                    {release.label} <span className="muted small">({release.arch})</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          <TextField path="source.url" label="Image URL" hint="http(s):// or s3://; the file's SHA256 as published beside it" />
          <ReleaseListEditor />
        </>
      ) : (
        <>
          <div className="drop-zone" aria-hidden="true">Drop an image file here (.img, .img.xz, .zip)</div>
          <TextField path="source.path" label="Image file" hint="A full path on this computer (relative paths are relative to the recipe's folder)" />
          <div className="row">
            <button type="button" onClick={() => void pickLocal(path)} disabled={!path || hashing}>
              Compute SHA256
            </button>
            {desktop() && (
              <button
                type="button"
                disabled={hashing}
                onClick={() => void desktop()!.openFile({ title: 'Choose the source image', filters: [{ name: 'Disk images', extensions: ['img', 'xz', 'gz', 'zip'] }] }).then((file) => (file ? pickLocal(file) : undefined))}
              >
                Choose image file…
              </button>
            )}
          </div>
          {(settings?.recentSources.length ?? 0) > 0 && (
            <ul className="choices" aria-label="Recent image files">
              {settings!.recentSources.map((file) => (
                <li key={file}>
                  <button type="button" onClick={() => void pickLocal(file)}>
                    {file}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <TextField path="source.sha256" label="SHA256" hint="64 hexadecimal digits; the build stops if the file does not match" />
      {note && (
        <p className="small" role="status">
          {note}
        </p>
      )}
    </fieldset>
  )
}
