/**
 * devices.csv in and out. Core reads the file with the builder's own parser; any problem
 * stops the import and every problem is listed with its row (and column).
 */
import { useState } from 'react'
import type { CsvProblem } from '@common/contract'
import { useClient } from '../../client/context'
import { FilePickerButton } from '../../ui/FilePickerButton'
import { rowFromDevice, toDevice, type DeviceRow, type ScriptFile } from './model'

interface Props {
  rows: DeviceRow[]
  templates: ScriptFile[]
  onImport: (rows: DeviceRow[]) => void
}

export function CsvImport({ rows, templates, onImport }: Props) {
  const client = useClient()
  const [problems, setProblems] = useState<{ file: string; list: CsvProblem[] } | null>(null)
  const [status, setStatus] = useState<string | null>(null)

  const read = async (file: File) => {
    const { devices, problems: found } = await client.call('devices.parseCsv', { text: await file.text() })
    if (found.length) {
      setProblems({ file: file.name, list: found })
      setStatus(null)
      return
    }
    setProblems(null)
    onImport(devices.map(rowFromDevice))
    setStatus(`Imported ${devices.length} device${devices.length === 1 ? '' : 's'} from ${file.name}`)
  }

  const exportCsv = async () => {
    const { csv } = await client.call('devices.toCsv', { devices: rows.map((row, index) => toDevice(row, index, templates)) })
    const link = document.createElement('a')
    link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }))
    link.download = 'devices.csv'
    link.click()
    URL.revokeObjectURL(link.href)
  }

  return (
    <div className="csv" role="group" aria-label="Devices CSV">
      <FilePickerButton accept=".csv,text/csv" label="Import devices CSV file" onFile={(file) => void read(file).catch((error: Error) => setStatus(error.message))}>
        Import CSV…
      </FilePickerButton>
      <button type="button" onClick={() => void exportCsv()} disabled={rows.length === 0}>
        Export CSV
      </button>
      {status && <p role="status">{status}</p>}
      {problems && (
        <div role="alert" className="csv-problems">
          <p>
            Nothing imported: {problems.file} has {problems.list.length} problem{problems.list.length === 1 ? '' : 's'}.
          </p>
          <ul aria-label="CSV problems">
            {problems.list.map((problem, index) => (
              <li key={index}>
                Row {problem.row}
                {problem.column ? `, column “${problem.column}”` : ''}: {problem.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  )
}
