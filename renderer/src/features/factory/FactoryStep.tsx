/**
 * Factory mode (issue 17): the devices CSV is a queue, every card reader a slot. Inserting a
 * card starts the next device on it; a finished card says "swap the card"; a pulled one fails
 * and its device waits again. The queue is kept beside the CSV, so a restart goes on.
 */
import { useId, useState, type FormEvent } from 'react'
import type { Device } from '@common/contract'
import { useClient } from '../../client/context'
import { FactoryQueueView } from './FactoryQueueView'
import { FactorySlots } from './FactorySlots'
import { useFactory } from './useFactory'

/** Where a run's queue is kept: beside its devices CSV, so the same CSV goes on where it stopped. */
export const stateFileFor = (csv: string) => `${csv}.factory-queue.json`

export function FactoryStep() {
  const client = useClient()
  const id = useId()
  const factory = useFactory()
  const [image, setImage] = useState('')
  const [recipe, setRecipe] = useState('')
  const [csv, setCsv] = useState('')
  const [slots, setSlots] = useState(4)
  const [verify, setVerify] = useState(true)
  const [problem, setProblem] = useState<string | null>(null)
  const [starting, setStarting] = useState(false)
  const paused = factory.queue?.paused ?? false

  const start = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    setStarting(true)
    try {
      const { content } = await client.call('files.readText', { path: csv })
      const { devices, problems } = await client.call('devices.parseCsv', { text: content })
      if (problems.length) throw new Error(`The devices CSV has problems: ${problems.map((p) => p.message).join('; ')}`)
      if (devices.length === 0) throw new Error('The devices CSV has no devices')
      await factory.start({ image, devices: devices as Device[], ...(recipe && { recipe }), slots, verify, stateFile: stateFileFor(csv), reflash: false })
    } catch (failure) {
      setProblem((failure as Error).message)
    } finally {
      setStarting(false)
    }
  }

  return (
    <section aria-label="Factory" className="factory">
      <form aria-label="Factory run" onSubmit={(event) => void start(event)}>
        <fieldset disabled={factory.running || starting}>
          <legend>What to write</legend>
          <div className="field">
            <label htmlFor={`${id}-image`}>Image file</label>
            <input id={`${id}-image`} value={image} onChange={(e) => setImage(e.target.value)} required spellCheck={false} placeholder="/path/to/raspios-lite.img.xz" />
          </div>
          <div className="field">
            <label htmlFor={`${id}-recipe`}>Recipe (optional)</label>
            <input id={`${id}-recipe`} value={recipe} onChange={(e) => setRecipe(e.target.value)} spellCheck={false} aria-describedby={`${id}-recipe-hint`} placeholder="/path/to/recipe.yml" />
            <p id={`${id}-recipe-hint`} className="hint">Quick customisation laid over the image on the way to each card.</p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-csv`}>Devices CSV</label>
            <input id={`${id}-csv`} value={csv} onChange={(e) => setCsv(e.target.value)} required spellCheck={false} aria-describedby={`${id}-csv-hint`} placeholder="/path/to/devices.csv" />
            <p id={`${id}-csv-hint`} className="hint">One card per row, in order. The queue is kept beside it ({csv ? stateFileFor(csv) : 'devices.csv.factory-queue.json'}): a device already done is not written again.</p>
          </div>
          <div className="row">
            <div className="field">
              <label htmlFor={`${id}-slots`}>Cards at once</label>
              <input id={`${id}-slots`} type="number" min={1} max={64} value={slots} onChange={(e) => setSlots(Number(e.target.value) || 1)} />
            </div>
            <label className="check">
              <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} /> Verify each card
            </label>
          </div>
          <button type="submit" className="primary">
            {starting ? 'Starting…' : 'Start factory'}
          </button>
        </fieldset>
      </form>
      {(problem ?? factory.error) && (
        <p className="error" role="alert">
          {problem ?? factory.error}
        </p>
      )}
      <div className="row" role="group" aria-label="Run controls">
        {paused ? (
          <button type="button" disabled={!factory.running} onClick={() => void factory.control('factory.resume')}>
            Resume
          </button>
        ) : (
          <button type="button" disabled={!factory.running} onClick={() => void factory.control('factory.pause')}>
            Pause
          </button>
        )}
        <button type="button" disabled={!factory.running} onClick={() => void factory.control('factory.stop')}>
          Stop after these cards
        </button>
        <button type="button" disabled={!factory.running} onClick={() => void factory.control('factory.stop', true)}>
          Stop now
        </button>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite" aria-label="Slot changes">
        {factory.announcement}
      </p>
      <section aria-labelledby="factory-slots-title">
        <h3 id="factory-slots-title">Slots {factory.running && (paused ? '(paused)' : '(running)')}</h3>
        {factory.running || factory.slots.length ? <FactorySlots slots={factory.slots} onStop={(drive) => void factory.stopCard(drive)} /> : <p className="muted">Start a run, then insert cards.</p>}
      </section>
      {factory.queue && <FactoryQueueView queue={factory.queue} />}
    </section>
  )
}
