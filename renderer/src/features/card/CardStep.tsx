/**
 * The Card step: open a flashed card (a drive) or an image file, browse its startup-scripts
 * — what will run, what ran (ran-once/), what failed (failed/) and the logs of past boots —
 * edit the scripts, and read its build info.
 */
import { useCallback, useId, useState } from 'react'
import type { Output } from '@common/contract'
import { useClient } from '../../client/context'
import { useDrives } from '../flash/useDrives'
import { CardFiles } from './CardFiles'

type Entry = Output<'cards.list'>['entries'][number]

export function CardStep() {
  const client = useClient()
  const { drives } = useDrives('')
  const [source, setSource] = useState<'drive' | 'file'>('drive')
  const [drive, setDrive] = useState('')
  const [file, setFile] = useState('')
  const [opened, setOpened] = useState<{ target: string; entries: Entry[]; buildInfo: unknown } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const id = useId()
  const target = source === 'drive' ? drive || drives?.[0]?.device || '' : file

  const open = useCallback(
    async (which: string) => {
      setBusy(true)
      setError(null)
      try {
        const [{ entries }, { buildInfo }] = await Promise.all([client.call('cards.list', { target: which }), client.call('cards.buildInfo', { target: which })])
        setOpened({ target: which, entries, buildInfo })
      } catch (failure) {
        setOpened(null)
        setError((failure as Error).message)
      } finally {
        setBusy(false)
      }
    },
    [client],
  )

  return (
    <section aria-label="Card step" className="card-step">
      <fieldset className="row">
        <legend>Card to open</legend>
        <label>
          <input type="radio" name="card-source" checked={source === 'drive'} onChange={() => setSource('drive')} /> A drive
        </label>
        <label>
          <input type="radio" name="card-source" checked={source === 'file'} onChange={() => setSource('file')} /> An image file
        </label>
        {source === 'drive' ? (
          <>
            <label htmlFor={`${id}-drive`}>Drive</label>
            <select id={`${id}-drive`} value={target} onChange={(e) => setDrive(e.target.value)}>
              {(drives ?? []).map((d) => (
                <option key={d.device} value={d.device}>
                  {d.device} — {d.description}
                </option>
              ))}
            </select>
          </>
        ) : (
          <>
            <label htmlFor={`${id}-file`}>Image file</label>
            <input id={`${id}-file`} value={file} onChange={(e) => setFile(e.target.value)} spellCheck={false} />
          </>
        )}
        <button type="button" className="primary" disabled={!target || busy} onClick={() => void open(target)}>
          Open card
        </button>
      </fieldset>
      {source === 'drive' && drives?.length === 0 && <p className="muted">No drives: insert a card, or open an image file.</p>}
      {error && <p role="alert" className="error">{error}</p>}
      {opened && <CardFiles key={opened.target} target={opened.target} entries={opened.entries} buildInfo={opened.buildInfo} onChanged={() => void open(opened.target)} />}
    </section>
  )
}
