/** A card's progress while flashing, and its final state. */
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

export function CardState({ target, progress }: { target: string; progress: CardProgress }) {
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
    </div>
  )
}
