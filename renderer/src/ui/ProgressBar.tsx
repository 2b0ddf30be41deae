/** A labelled progress bar with its phase, speed and time left underneath. */
import { formatDuration, formatSpeed } from './format'

interface Props {
  label: string
  /** 0…1, or undefined while the amount of work is not known. */
  fraction?: number
  phase: string
  speed?: number
  eta?: number
  state?: 'running' | 'done' | 'failed'
}

export function ProgressBar({ label, fraction, phase, speed, eta, state = 'running' }: Props) {
  const percent = fraction === undefined ? undefined : Math.round(fraction * 100)
  return (
    <div className={`progress ${state}`}>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${phase}${percent !== undefined ? ` ${percent}%` : ''}`}
        className="bar"
      >
        <div className="fill" style={{ width: `${percent ?? (state === 'running' ? 100 : 0)}%` }} data-indeterminate={percent === undefined && state === 'running'} />
      </div>
      <p className="small progress-text">
        <span className="phase">{phase}</span>
        {percent !== undefined && <span> · {percent}%</span>}
        {speed !== undefined && speed > 0 && <span> · {formatSpeed(speed)}</span>}
        {eta !== undefined && state === 'running' && <span> · {formatDuration(eta)} left</span>}
      </p>
    </div>
  )
}
