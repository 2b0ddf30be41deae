/** One drive: what it is, why it cannot or should not be flashed, the device it will get, and its progress. */
import type { DriveView } from '@common/contract'
import { formatBytes } from '../../ui/format'
import type { CardProgress } from './useFlash'
import { CardState } from './CardState'

interface Props {
  drive: DriveView
  checked: boolean
  onToggle: (checked: boolean) => void
  disabled: boolean
  device: string | null
  progress?: CardProgress
  /** Stops this card alone while the batch flashes. */
  onStop?: () => void
}

export function DriveCard({ drive, checked, onToggle, disabled, device, progress, onStop }: Props) {
  const errors = drive.issues.filter((issue) => issue.severity === 'error')
  const warnings = drive.issues.filter((issue) => issue.severity === 'warning')
  const why = errors.map((issue) => issue.message).join('; ')
  return (
    <li className={`card ${errors.length ? 'unflashable' : ''} ${checked ? 'chosen' : ''}`} aria-label={`Drive ${drive.device}`}>
      <label>
        <input type="checkbox" checked={checked} disabled={disabled || errors.length > 0} onChange={(e) => onToggle(e.target.checked)} aria-describedby={`${drive.device}-why`} />{' '}
        Flash to {drive.device}
      </label>
      <p className="small">
        {drive.description} · {formatBytes(drive.size)} · {drive.busType}
        {drive.serial ? ` · serial ${drive.serial}` : ''}
      </p>
      <div id={`${drive.device}-why`}>
        {errors.length > 0 && <p className="field-error">Cannot be flashed: {why}</p>}
        {warnings.map((issue) => <p key={issue.code} className="warning">Warning: {issue.message}</p>)}
      </div>
      {checked && <p className="assigned">Device: {device ?? 'none (a plain copy)'}</p>}
      {progress && <CardState target={drive.device} progress={progress} onStop={onStop} />}
    </li>
  )
}
