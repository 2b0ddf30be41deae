/**
 * The Flash step: cards appear as they are inserted, each with why it may not be flashed;
 * the chosen cards (and image files) get the next devices in the queue; one button flashes
 * them all, each with its own progress and final state; then the next batch.
 */
import { useId, useMemo, useState } from 'react'
import type { Device, Input } from '@common/contract'
import { useWizard } from '../../state/wizard'
import { toDevice } from '../devices/model'
import { useDeviceCheck } from '../devices/useDeviceCheck'
import { CardState } from './CardState'
import { DriveCard } from './DriveCard'
import { AllRecords, BatchResult } from './RecordsView'
import { useDrives } from './useDrives'
import { useFlash } from './useFlash'

interface FileTarget {
  id: number
  path: string
}

const isAbsolute = (path: string) => path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)

export function FlashStep() {
  const { image, setImage, devices, templates, settings } = useWizard()
  const { drives, error: drivesError } = useDrives(image)
  const flash = useFlash(settings?.notifyWhenDone ?? true)
  const problems = useDeviceCheck(devices, templates)
  const [chosen, setChosen] = useState<string[]>([])
  const [files, setFiles] = useState<FileTarget[]>([])
  const [perDeviceFiles, setPerDeviceFiles] = useState(false)
  const [verify, setVerify] = useState(true)
  const [next, setNext] = useState(0)
  const imageId = useId()
  const folder = settings?.outDir ?? ''

  // A card that is pulled out is no longer a destination.
  const present = useMemo(() => new Set(drives?.map((d) => d.device) ?? []), [drives])
  const chosenPresent = chosen.filter((device) => present.has(device))

  // Targets in order: chosen drives (as listed), then image files; each gets the next device in the queue.
  const destinations = [...(drives ?? []).filter((d) => chosenPresent.includes(d.device)).map((d) => ({ kind: 'drive' as const, name: d.device })), ...files.map((f) => ({ kind: 'file' as const, name: f.path, id: f.id }))]
  const queue = devices.slice(next)
  const deviceFor = (index: number): { device: Device; index: number } | null => {
    const row = queue[index]
    return row ? { device: toDevice(row, next + index, templates), index: next + index } : null
  }
  const filePath = (target: FileTarget, position: number) => target.path || (folder ? `${folder}/${deviceFor(position)?.device.hostname ?? `card-${position + 1}`}.img` : '')

  const batchProblems = problems.filter((p) => p.index >= next && p.index < next + destinations.length)
  const blockers = [
    !image && 'Choose the image to flash',
    destinations.length === 0 && 'Choose at least one card or image file',
    ...files.map((f, i) => (isAbsolute(filePath(f, chosenPresent.length + i)) ? null : `Image file ${i + 1} needs a full path`)),
    batchProblems.length > 0 && `Fix the devices first (Devices step): ${batchProblems.map((p) => `device ${p.index + 1}: ${p.message}`).join('; ')}`,
  ].filter(Boolean) as string[]

  const start = () => {
    const targets: Input<'flash.start'>['targets'] = []
    const assigned: (Device | null)[] = []
    destinations.forEach((destination, position) => {
      const device = deviceFor(position)?.device ?? null
      if (destination.kind === 'drive') {
        targets.push({ kind: 'drive', device: destination.name })
        assigned.push(device)
        if (perDeviceFiles && device && folder) {
          targets.push({ kind: 'file', path: `${folder}/${device.hostname}.img` })
          assigned.push(device)
        }
      } else {
        targets.push({ kind: 'file', path: filePath(files.find((f) => f.id === destination.id)!, position) })
        assigned.push(device)
      }
    })
    void flash.start({ image, targets, devices: assigned, verify })
  }

  const nextBatch = () => {
    const used = Math.min(destinations.length, queue.length)
    setNext(next + used)
    setChosen([])
    setFiles([])
    flash.reset()
  }

  return (
    <section aria-label="Flash step" className="flash">
      <div className="field">
        <label htmlFor={imageId}>Image to flash</label>
        <input id={imageId} value={image} onChange={(e) => setImage(e.target.value)} placeholder="Built in the Build step, or any .img/.img.xz/.zip" spellCheck={false} />
      </div>
      <p className="small" aria-label="Device queue">
        {queue.length > 0
          ? `Next devices: ${queue.slice(0, 5).map((r) => r.hostname).join(', ')}${queue.length > 5 ? ` and ${queue.length - 5} more` : ''} (${next} flashed before this batch)`
          : devices.length > 0
            ? 'Every device in the table has been flashed: cards get plain copies now.'
            : 'No devices in the table: cards get plain copies (add devices in the Devices step).'}
      </p>

      <h3>Drives</h3>
      {drivesError && <p role="alert" className="error">Cannot list drives: {drivesError}</p>}
      {drives && drives.length === 0 && <p className="muted">Insert an SD card: it appears here.</p>}
      <ul className="cards" aria-label="Drives">
        {(drives ?? []).map((drive) => {
          const position = destinations.findIndex((d) => d.kind === 'drive' && d.name === drive.device)
          return (
            <DriveCard
              key={drive.device}
              drive={drive}
              checked={chosenPresent.includes(drive.device)}
              disabled={flash.running}
              onToggle={(on) => setChosen(on ? [...chosen, drive.device] : chosen.filter((d) => d !== drive.device))}
              device={position >= 0 ? (deviceFor(position)?.device.hostname ?? null) : null}
              progress={flash.cards[drive.device]}
              onStop={() => void flash.stopCard(drive.device)}
            />
          )
        })}
      </ul>

      <h3>Image files</h3>
      <ul className="cards" aria-label="Image file destinations">
        {files.map((target, i) => {
          const position = chosenPresent.length + i
          const path = filePath(target, position)
          return (
            <li key={target.id} className="card chosen" aria-label={`Image file ${i + 1}`}>
              <label>
                Path of image file {i + 1}
                <input value={target.path} placeholder={path} onChange={(e) => setFiles(files.map((f) => (f.id === target.id ? { ...f, path: e.target.value } : f)))} spellCheck={false} />
              </label>
              <p className="assigned">Device: {deviceFor(position)?.device.hostname ?? 'none (a plain copy)'}</p>
              <button type="button" disabled={flash.running} onClick={() => setFiles(files.filter((f) => f.id !== target.id))}>
                Remove image file {i + 1}
              </button>
              {flash.cards[path] && <CardState target={path} progress={flash.cards[path]!} onStop={() => void flash.stopCard(path)} />}
            </li>
          )
        })}
      </ul>
      <button type="button" disabled={flash.running} onClick={() => setFiles([...files, { id: Date.now(), path: '' }])}>
        Add image file
      </button>

      <fieldset className="options">
        <legend>Options</legend>
        <label>
          <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} /> Verify every card after writing
        </label>
        <label>
          <input type="checkbox" checked={perDeviceFiles} onChange={(e) => setPerDeviceFiles(e.target.checked)} disabled={!folder} /> Also save each device's image file in {folder || 'the output folder'}
        </label>
      </fieldset>

      <div className="row">
        <button type="button" className="primary" disabled={flash.running || blockers.length > 0} onClick={start} aria-describedby="flash-blockers">
          Flash {destinations.length} card{destinations.length === 1 ? '' : 's'}
        </button>
        <button type="button" disabled={!flash.running} onClick={() => void flash.cancel()}>
          Cancel flashing
        </button>
        <button type="button" disabled={flash.running || !flash.result} onClick={nextBatch}>
          Next batch
        </button>
      </div>
      <ul id="flash-blockers" className="small muted">
        {blockers.map((text) => <li key={text}>{text}</li>)}
      </ul>
      {flash.error && <p role="alert" className="error">Not started: {flash.error}</p>}
      {flash.cards && Object.entries(flash.cards).filter(([target]) => !present.has(target) && !files.some((f, i) => filePath(f, chosenPresent.length + i) === target)).map(([target, progress]) => (
        <CardState key={target} target={target} progress={progress} onStop={() => void flash.stopCard(target)} />
      ))}
      {flash.result && <BatchResult result={flash.result} />}
      <AllRecords refresh={flash.result} defaultDir={folder} />
    </section>
  )
}
