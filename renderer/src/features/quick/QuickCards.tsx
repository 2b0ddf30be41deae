/** Cards as they are inserted (size, name, why not or why careful) and image files, each with the device it gets and its progress. */
import type { DriveView } from '@common/contract'
import { CardState } from '../flash/CardState'
import { DriveCard } from '../flash/DriveCard'
import type { useFlash } from '../flash/useFlash'
import type { useQuickBatch } from './useQuickBatch'

interface Props {
  drives: DriveView[] | null
  drivesError: string | null
  batch: ReturnType<typeof useQuickBatch>
  flash: ReturnType<typeof useFlash>
}

export function QuickCards({ drives, drivesError, batch, flash }: Props) {
  const hostnameAt = (name: string) => {
    const position = batch.positionOf(name)
    return position >= 0 ? (batch.deviceFor(position)?.hostname ?? null) : null
  }
  return (
    <div className="quick-cards">
      {drivesError && <p role="alert" className="error">Cannot list drives: {drivesError}</p>}
      {drives && drives.length === 0 && <p className="muted">Insert an SD card: it appears here.</p>}
      <ul className="cards" aria-label="Drives">
        {(drives ?? []).map((drive) => (
          <DriveCard
            key={drive.device}
            drive={drive}
            checked={batch.chosen.includes(drive.device)}
            disabled={flash.running}
            onToggle={(on) => batch.toggle(drive.device, on)}
            device={hostnameAt(drive.device)}
            progress={flash.cards[drive.device]}
            onStop={() => void flash.stopCard(drive.device)}
          />
        ))}
      </ul>
      <ul className="cards" aria-label="Image file destinations">
        {batch.files.map((target, i) => (
          <li key={target.id} className="card chosen" aria-label={`Image file ${i + 1}`}>
            <label>
              Path of image file {i + 1}
              <input value={target.path} placeholder="/full/path/card.img" onChange={(e) => batch.setFilePath(target.id, e.target.value)} spellCheck={false} disabled={flash.running} />
            </label>
            <p className="assigned">Device: {hostnameAt(target.path) ?? 'none (the settings only)'}</p>
            <button type="button" disabled={flash.running} onClick={() => batch.removeFile(target.id)}>
              Remove image file {i + 1}
            </button>
            {flash.cards[target.path] && <CardState target={target.path} progress={flash.cards[target.path]!} onStop={() => void flash.stopCard(target.path)} />}
          </li>
        ))}
      </ul>
      <button type="button" disabled={flash.running} onClick={batch.addFile}>
        Add image file
      </button>
    </div>
  )
}
