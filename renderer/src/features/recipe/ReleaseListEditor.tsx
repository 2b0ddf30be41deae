/** The bundled list of official releases, editable; the edited list is kept by core in settings. */
import { useState } from 'react'
import type { Settings } from '@common/contract'
import { useWizard } from '../../state/wizard'

type Release = Settings['releases'][number]

export function ReleaseListEditor() {
  const { settings, updateSettings } = useWizard()
  const [draft, setDraft] = useState<Release[] | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const list = draft ?? settings?.releases ?? []
  const edit = (index: number, changes: Partial<Release>) => setDraft(list.map((release, i) => (i === index ? { ...release, ...changes } : release)))

  const save = async () => {
    const bad = list.find((release) => !/^[a-f0-9]{64}$/i.test(release.sha256) || !/^(https?|s3):\/\/\S+$/.test(release.url) || !release.label.trim())
    if (bad) return setProblem(`"${bad.label || bad.url || 'new release'}" needs a name, an http(s):// or s3:// URL and a 64-digit SHA256`)
    setProblem(null)
    await updateSettings({ releases: list })
    setDraft(null)
  }

  return (
    <details>
      <summary>Edit the release list</summary>
      <table className="compact">
        <thead>
          <tr>
            <th>Name</th>
            <th>URL</th>
            <th>SHA256</th>
            <th>Arch</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((release, index) => (
            <tr key={index}>
              <td><input aria-label={`Release ${index + 1} name`} value={release.label} onChange={(e) => edit(index, { label: e.target.value })} /></td>
              <td><input aria-label={`Release ${index + 1} URL`} value={release.url} onChange={(e) => edit(index, { url: e.target.value })} /></td>
              <td><input aria-label={`Release ${index + 1} SHA256`} value={release.sha256} onChange={(e) => edit(index, { sha256: e.target.value })} /></td>
              <td>
                <select aria-label={`Release ${index + 1} arch`} value={release.arch} onChange={(e) => edit(index, { arch: e.target.value as Release['arch'] })}>
                  <option value="arm64">arm64</option>
                  <option value="armhf">armhf</option>
                </select>
              </td>
              <td><button type="button" onClick={() => setDraft(list.filter((_, i) => i !== index))}>Remove release {index + 1}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <button type="button" onClick={() => setDraft([...list, { label: '', url: '', sha256: '', arch: 'arm64' }])}>Add release</button>
        <button type="button" onClick={() => void save()} disabled={!draft}>Save release list</button>
      </div>
      {problem && <p className="field-error" role="alert">{problem}</p>}
    </details>
  )
}
