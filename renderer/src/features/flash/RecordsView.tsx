/** Per-card records: this batch's, and every record core keeps, exportable as CSV or JSON. */
import { useEffect, useId, useState, type ReactNode } from 'react'
import type { CardRecord, FlashFinished } from '@common/contract'
import { useClient } from '../../client/context'

export function RecordsTable({ records, label }: { records: CardRecord[]; label: string }) {
  return (
    <table aria-label={label} className="records">
      <thead>
        <tr>
          <th scope="col">Destination</th>
          <th scope="col">Device</th>
          <th scope="col">Verified</th>
          <th scope="col">Result</th>
          <th scope="col">Image SHA256</th>
          <th scope="col">Ended</th>
        </tr>
      </thead>
      <tbody>
        {records.map((record) => (
          <tr key={`${record.jobId}:${record.destination}`} data-ok={record.ok}>
            <td><code>{record.destination}</code></td>
            <td>{record.hostname ?? '—'}</td>
            <td>{record.verified === null ? 'not checked' : record.verified ? 'verified' : 'NOT verified'}</td>
            <td>{record.ok ? 'OK' : `Failed: ${record.error ?? 'unknown'}`}</td>
            <td><code title={record.imageSha256}>{record.imageSha256.slice(0, 12)}…</code></td>
            <td>{new Date(record.endedAt).toLocaleTimeString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** A finished batch: one line saying how it went, its cards' records, and what to do next (`children`). */
export function BatchResult({ result, className, children }: { result: FlashFinished; className?: string; children?: ReactNode }) {
  const failed = result.records.filter((r) => !r.ok).length
  return (
    <section aria-label="Batch result" className={className}>
      <h3>
        {result.ok
          ? `All ${result.records.length} cards flashed${result.records.every((r) => r.verified) ? ' and verified' : ''}`
          : result.error
            ? `Flashing failed: ${result.error.message}`
            : `${failed} of ${result.records.length} cards failed`}
      </h3>
      <RecordsTable records={result.records} label="Records of this batch" />
      {children}
    </section>
  )
}

export function AllRecords({ refresh, defaultDir }: { refresh: unknown; defaultDir: string }) {
  const client = useClient()
  const id = useId()
  const [records, setRecords] = useState<CardRecord[]>([])
  const [format, setFormat] = useState<'csv' | 'json'>('csv')
  const [target, setTarget] = useState('')
  const [status, setStatus] = useState<{ text: string; error?: boolean } | null>(null)
  useEffect(() => {
    client.call('records.list', {}).then(({ records: all }) => setRecords(all), (e: Error) => setStatus({ text: e.message, error: true }))
  }, [client, refresh])
  const path = target || (defaultDir ? `${defaultDir}/flash-records.${format}` : '')

  const exportTo = async () => {
    try {
      const done = await client.call('records.export', { format, path })
      setStatus({ text: `Exported ${done.count} records to ${done.path}` })
    } catch (error) {
      setStatus({ text: (error as Error).message, error: true })
    }
  }

  return (
    <details className="all-records">
      <summary>All flash records ({records.length})</summary>
      <RecordsTable records={[...records].reverse()} label="All flash records" />
      <div className="row" role="group" aria-label="Export records">
        <label htmlFor={`${id}-format`}>Format</label>
        <select id={`${id}-format`} value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'json')}>
          <option value="csv">CSV</option>
          <option value="json">JSON</option>
        </select>
        <label htmlFor={`${id}-path`}>Export to</label>
        <input id={`${id}-path`} value={path} onChange={(e) => setTarget(e.target.value)} spellCheck={false} />
        <button type="button" onClick={() => void exportTo()} disabled={!path}>
          Export records
        </button>
      </div>
      {status && <p role={status.error ? 'alert' : 'status'}>{status.text}</p>}
    </details>
  )
}
