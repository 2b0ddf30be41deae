/** A card's progress while flashing (with a stop for that card alone), and its final state. */
import { ProgressBar } from '../../ui/ProgressBar'
import type { CardProgress } from './useFlash'

const PHASES: Record<CardProgress['phase'], string> = {
  starting: 'Starting',
  preparing: 'Preparing',
  flashing: 'Flashing',
  verifying: 'Verifying',
  'device-files': 'Writing device files',
  done: 'Done',
  failed: 'Failed',
}

export function CardState({ target, progress, onStop }: { target: string; progress: CardProgress; onStop?: () => void }) {
  const final = progress.phase === 'done' ? 'done' : progress.phase === 'failed' ? 'failed' : 'running'
  return (
    <div className="card-state" data-state={final}>
      <ProgressBar
        label={`Progress of ${target}`}
        fraction={final === 'done' ? 1 : progress.fraction}
        phase={PHASES[progress.phase]}
        speed={final === 'running' ? progress.speed : undefined}
        eta={progress.eta}
        state={final}
      />
      {progress.message && final !== 'done' && <p className={final === 'failed' ? 'field-error' : 'small'}>{progress.message}</p>}
      {onStop && final === 'running' && (
        <button type="button" className="card-stop" onClick={onStop} aria-label={`Stop this card (${target})`}>
          Stop this card
        </button>
      )}
    </div>
  )
}
