/**
 * The official catalog (catalog.list) for one Pi model: choosing an entry downloads it into
 * core's verified cache (catalog.download, both SHA256 checked) with a progress bar, and
 * hands the cached image on as if it were a local file.
 */
import { useEffect, useId, useRef, useState } from 'react'
import type { CatalogDevice, CatalogList, CatalogListEntry, CatalogProgress } from '@common/contract'
import { useClient } from '../../client/context'
import { ProgressBar } from '../../ui/ProgressBar'
import { formatBytes } from '../../ui/format'
import type { QuickImage } from './model'

const DEVICES: { value: CatalogDevice | ''; label: string }[] = [
  { value: '', label: 'Any model' },
  { value: 'pi5', label: 'Raspberry Pi 5' },
  { value: 'pi4', label: 'Raspberry Pi 4 / 400' },
  { value: 'pi3', label: 'Raspberry Pi 3' },
  { value: 'zero2w', label: 'Raspberry Pi Zero 2 W' },
  { value: 'zero', label: 'Raspberry Pi Zero' },
]

export function CatalogChooser({ disabled, onChosen }: { disabled: boolean; onChosen: (image: QuickImage) => void }) {
  const client = useClient()
  const id = useId()
  const [device, setDevice] = useState<CatalogDevice | ''>('')
  const [list, setList] = useState<CatalogList | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [download, setDownload] = useState<{ id: string; name: string; progress: CatalogProgress | null } | null>(null)
  const current = useRef<string | null>(null)

  useEffect(() => {
    let live = true
    client.call('catalog.list', device ? { device } : {}).then(
      (result) => live && setList(result),
      (e: unknown) => live && setError((e as Error).message),
    )
    return () => {
      live = false
    }
  }, [client, device])

  useEffect(
    () =>
      client.on('catalog.progress', (progress) => {
        if (progress.downloadId === current.current) setDownload((d) => (d ? { ...d, progress } : d))
      }),
    [client],
  )

  const choose = async (entry: CatalogListEntry) => {
    const downloadId = crypto.randomUUID()
    current.current = downloadId
    setError(null)
    setDownload({ id: downloadId, name: entry.name, progress: null })
    try {
      const got = await client.call('catalog.download', { url: entry.url, downloadId })
      // The image's own SHA256 (what cards are verified against): the catalog's, else read once.
      const sha256 = got.extractSha256 ?? (await client.call('files.sha256', { path: got.image })).sha256
      onChosen({ path: got.image, sha256, bytes: got.bytes, arch: got.arch ?? 'arm64', label: got.name })
    } catch (e) {
      setError((e as Error).message)
    } finally {
      if (current.current === downloadId) current.current = null
      setDownload(null)
    }
  }

  const progress = download?.progress
  return (
    <div className="catalog-chooser">
      <div className="field">
        <label htmlFor={`${id}-device`}>Raspberry Pi model</label>
        <select id={`${id}-device`} value={device} onChange={(event) => (setError(null), setDevice(event.target.value as CatalogDevice | ''))} disabled={disabled}>
          {DEVICES.map((d) => (
            <option key={d.value} value={d.value}>
              {d.label}
            </option>
          ))}
        </select>
      </div>
      {list?.warning && <p className="small">{list.warning}</p>}
      {!list && !error && <p className="small">Loading the catalog…</p>}
      {list && (
        <ul className="choices catalog-entries" aria-label="Official images">
          {list.entries.map((entry) => (
            <li key={entry.url}>
              <button type="button" className="catalog-entry" onClick={() => void choose(entry)} disabled={disabled || download !== null}>
                {entry.iconData && <img src={entry.iconData} alt="" width={32} height={32} />}
                <span>
                  <strong>{entry.name}</strong>
                  <span className="small"> {entry.description}</span>
                  <span className="small">
                    {' '}
                    · {entry.releaseDate ?? 'no date'}
                    {entry.downloadSize !== null && ` · ${formatBytes(entry.downloadSize)} download`}
                  </span>
                </span>
              </button>
            </li>
          ))}
          {list.entries.length === 0 && <li className="small">No image of the catalog is for this model.</li>}
        </ul>
      )}
      {download && (
        <div>
          <ProgressBar
            label={`Downloading ${download.name}`}
            phase={progress?.phase ?? 'download'}
            fraction={progress?.total ? progress.bytes / progress.total : undefined}
          />
          <button type="button" onClick={() => void client.call('catalog.cancel', { downloadId: download.id })}>
            Cancel download
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  )
}
