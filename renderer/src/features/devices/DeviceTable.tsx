/** The devices: one row each, every cell an input named by its column and device number; problems under the cell. */
import { useState } from 'react'
import type { DeviceProblem } from '@common/contract'
import { variableColumns, type DeviceRow } from './model'

interface Props {
  rows: DeviceRow[]
  problems: DeviceProblem[]
  templateWarnings: Map<string, string[]>
  selected: string | null
  onSelect: (id: string) => void
  onChange: (rows: DeviceRow[]) => void
}

const VARIABLE = /^[A-Z_][A-Z0-9_]*$/

export function DeviceTable({ rows, problems, templateWarnings, selected, onSelect, onChange }: Props) {
  const [extra, setExtra] = useState<string[]>([])
  const [newName, setNewName] = useState('')
  const columns = [...variableColumns(rows), ...extra.filter((key) => !variableColumns(rows).some((c) => c.key === key)).map((key) => ({ key, label: key }))]
  const update = (index: number, change: (row: DeviceRow) => DeviceRow) => onChange(rows.map((row, i) => (i === index ? change(row) : row)))
  const name = newName.trim().toUpperCase().replace(/[\s-]+/g, '_')

  return (
    <div className="table-wrap">
      <table className="devices" aria-label="Devices">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Hostname</th>
            {columns.map((column) => (
              <th scope="col" key={column.key}>
                {column.label}
              </th>
            ))}
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => {
            const n = index + 1
            const mine = problems.filter((p) => p.index === index)
            const hostnameProblems = mine.filter((p) => p.field === 'hostname')
            const other = [...mine.filter((p) => p.field !== 'hostname').map((p) => p.message), ...(templateWarnings.get(row.id) ?? [])]
            return (
              <tr key={row.id} aria-selected={selected === row.id} className={selected === row.id ? 'selected' : undefined}>
                <td>
                  <label className="select-row">
                    <input type="radio" name="selected-device" checked={selected === row.id} onChange={() => onSelect(row.id)} aria-label={`Select device ${n}`} />
                    {n}
                  </label>
                </td>
                <td>
                  <input
                    aria-label={`Hostname of device ${n}`}
                    value={row.hostname}
                    onFocus={() => onSelect(row.id)}
                    onChange={(e) => update(index, (r) => ({ ...r, hostname: e.target.value }))}
                    aria-invalid={hostnameProblems.length > 0}
                    aria-describedby={hostnameProblems.length ? `${row.id}-hostname-error` : undefined}
                    spellCheck={false}
                  />
                  {hostnameProblems.length > 0 && (
                    <p id={`${row.id}-hostname-error`} className="field-error">
                      {hostnameProblems.map((p) => p.message).join('; ')}
                    </p>
                  )}
                  {other.length > 0 && (
                    <ul className="row-problems" aria-label={`Problems of device ${n}`}>
                      {other.map((message) => <li key={message}>{message}</li>)}
                    </ul>
                  )}
                </td>
                {columns.map((column) => (
                  <td key={column.key}>
                    <input
                      aria-label={`${column.label} of device ${n}`}
                      value={row.variables[column.key] ?? ''}
                      onFocus={() => onSelect(row.id)}
                      onChange={(e) => update(index, (r) => ({ ...r, variables: { ...r.variables, [column.key]: e.target.value } }))}
                      spellCheck={false}
                    />
                  </td>
                ))}
                <td>
                  <button type="button" onClick={() => onChange(rows.filter((_, i) => i !== index))}>
                    Remove device {n}
                  </button>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <div className="row" role="group" aria-label="Add a variable column">
        <label htmlFor="new-variable">New variable</label>
        <input id="new-variable" value={newName} onChange={(e) => setNewName(e.target.value)} placeholder="SITE" spellCheck={false} />
        <button
          type="button"
          disabled={!VARIABLE.test(name) || name === 'HOSTNAME' || columns.some((c) => c.key === name)}
          onClick={() => {
            setExtra([...extra, name])
            setNewName('')
          }}
        >
          Add variable column
        </button>
        {newName && !VARIABLE.test(name) && <p className="field-error">{name} is not a variable name: letters, digits and _, not starting with a digit</p>}
      </div>
    </div>
  )
}
