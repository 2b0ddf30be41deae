/** One card per reader: the device being written, its progress and speed (and a stop for that card alone), or what to do next. */
import type { FactorySlot } from '@common/contract'
import { ProgressBar } from '../../ui/ProgressBar'

const STATE_LABEL: Record<FactorySlot['state'], string> = {
  waiting: 'Waiting',
  writing: 'Writing',
  done: 'Done',
  failed: 'Failed',
  refused: 'Refused',
}

export function FactorySlots({ slots, onStop }: { slots: FactorySlot[]; onStop?: (drive: string) => void }) {
  if (slots.length === 0) return <p className="muted">Insert a card into any reader: the next device starts on it.</p>
  return (
    <ul className="factory-slots" aria-label="Card slots">
      {slots.map((slot) => (
        <li key={slot.drive} className={`factory-slot ${slot.state}`} aria-label={`Slot ${slot.drive}`}>
          <p className="slot-head">
            <strong>{slot.drive}</strong> <span className={`slot-state ${slot.state}`}>{STATE_LABEL[slot.state]}</span>
            {slot.hostname && <span> · {slot.hostname}</span>}
          </p>
          {slot.state === 'writing' ? (
            <>
              <ProgressBar label={`${slot.hostname ?? slot.drive} progress`} fraction={slot.fraction ?? undefined} phase={slot.phase ?? 'starting'} speed={slot.speed ?? undefined} />
              {onStop && (
                <button type="button" className="slot-stop" onClick={() => onStop(slot.drive)} aria-label={`Stop this card (${slot.hostname ?? slot.drive})`}>
                  Stop this card
                </button>
              )}
            </>
          ) : null}
          <p className="slot-message">{slot.message}</p>
        </li>
      ))}
    </ul>
  )
}
