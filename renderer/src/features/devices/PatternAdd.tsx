/** Adds devices named by a pattern: `sensor-{{n:03}}` × 5 from 1 → sensor-001 … sensor-005. */
import { useId, useState } from 'react'
import { expandPattern } from '@common/templates'
import { newRowId, type DeviceRow } from './model'

export function PatternAdd({ count: existing, onAdd }: { count: number; onAdd: (rows: DeviceRow[]) => void }) {
  const id = useId()
  const [pattern, setPattern] = useState('device-{{n:03}}')
  const [count, setCount] = useState(1)
  const first = existing + 1
  const preview = expandPattern(pattern, first, Math.max(0, Math.min(count, 500)))
  const problem = preview.flatMap((r) => r.problems)[0]?.message
  return (
    <div className="pattern" role="group" aria-label="Add devices by pattern">
      <label htmlFor={`${id}-pattern`}>Hostname pattern</label>
      <input id={`${id}-pattern`} value={pattern} onChange={(e) => setPattern(e.target.value)} aria-describedby={`${id}-preview`} spellCheck={false} />
      <label htmlFor={`${id}-count`}>How many</label>
      <input id={`${id}-count`} type="number" min={1} max={500} value={count} onChange={(e) => setCount(Number(e.target.value))} />
      <button
        type="button"
        disabled={Boolean(problem) || count < 1}
        onClick={() => onAdd(preview.map((r) => ({ id: newRowId(), hostname: r.text, variables: {}, overrides: {} })))}
      >
        Add {count} device{count === 1 ? '' : 's'}
      </button>
      <p id={`${id}-preview`} className={problem ? 'field-error' : 'hint'}>
        {problem ?? `${preview[0]?.text ?? ''}${preview.length > 1 ? ` … ${preview.at(-1)!.text}` : ''}`}
      </p>
    </div>
  )
}
