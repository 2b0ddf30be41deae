/**
 * The quick path, on one screen, for Imager's job: choose OS → everyday settings → devices
 * (optional) → cards → Flash. The settings become a recipe core validates and applies on the
 * way to each card (flash.start with `recipe`): no intermediate image. "Flash the next batch"
 * keeps everything and gives the next cards the next devices.
 */
import { useCallback, useMemo, useState } from 'react'
import { useWizard } from '../../state/wizard'
import { useDeviceCheck } from '../devices/useDeviceCheck'
import { BatchResult } from '../flash/RecordsView'
import { useDrives } from '../flash/useDrives'
import { useFlash } from '../flash/useFlash'
import { fieldPath, setAt } from '../recipe/draft'
import { FormProvider, type FormApi } from '../recipe/form'
import { useRecipeValidation } from '../recipe/useRecipeValidation'
import { chosenSettings, quickRecipe } from './model'
import { OsChooser } from './OsChooser'
import { QuickCards } from './QuickCards'
import { QuickDevices } from './QuickDevices'
import { QuickSettings } from './QuickSettings'
import { useQuickBatch } from './useQuickBatch'

export function QuickStep() {
  const { quick, setQuick, devices, templates, settings } = useWizard()
  const [touched, setTouched] = useState<Set<string>>(() => new Set())
  const [showAll, setShowAll] = useState(false)
  const hasSettings = Object.keys(chosenSettings(quick.settings)).length > 0
  const recipe = useMemo(() => quickRecipe(quick.image, quick.settings), [quick.image, quick.settings])
  const { result, pending } = useRecipeValidation(recipe, undefined)
  // The image's own problems (source.*) are the OS chooser's: it has read the file.
  const problems = useMemo(() => (result?.validation.problems ?? []).filter((p) => !p.path.startsWith('source')), [result])
  const { drives, error: drivesError } = useDrives(quick.image?.path ?? '')
  const flash = useFlash(settings?.notifyWhenDone ?? true)
  const deviceProblems = useDeviceCheck(devices, templates)
  const batch = useQuickBatch({
    drives,
    deviceProblems,
    recipe: result && hasSettings ? { yaml: result.yaml, validation: { ...result.validation, problems } } : null,
    checking: pending,
    hasSettings,
    flash,
  })

  const touch = useCallback((path: string) => setTouched((paths) => (paths.has(path) ? paths : new Set(paths).add(path))), [])
  const form: FormApi = useMemo(
    () => ({
      data: quick.settings,
      set: (path, value) => {
        setQuick((state) => ({ ...state, settings: setAt(state.settings, path, value) }))
        touch(path)
      },
      touch,
      errors: (path, nested) =>
        problems
          .filter((problem) => {
            const at = fieldPath(problem.path)
            return (at === path || (nested === true && at.startsWith(`${path}.`))) && (showAll || touched.has(path))
          })
          .map((problem) => problem.message),
    }),
    [quick.settings, setQuick, touch, problems, showAll, touched],
  )

  const running = flash.running
  const count = batch.destinations.length
  return (
    <section aria-label="Quick flash" className="quick">
      <section aria-labelledby="quick-os" className="quick-part">
        <h3 id="quick-os">1. Operating system</h3>
        <OsChooser disabled={running} />
      </section>

      <section aria-labelledby="quick-settings" className="quick-part">
        <h3 id="quick-settings">2. Settings</h3>
        <p className="hint">All optional. Applied on the way to each card; the image file is not changed. Packages, scripts run at build time and Docker need a full build (the Recipe step).</p>
        <FormProvider api={form}>
          <form aria-label="Settings" onSubmit={(event) => event.preventDefault()}>
            <QuickSettings />
          </form>
        </FormProvider>
      </section>

      <section aria-labelledby="quick-devices" className="quick-part">
        <h3 id="quick-devices">3. Devices <span className="muted small">(optional)</span></h3>
        <QuickDevices flashed={batch.flashed} problems={deviceProblems} disabled={running} />
      </section>

      <section aria-labelledby="quick-cards" className="quick-part">
        <h3 id="quick-cards">4. Cards</h3>
        <QuickCards drives={drives} drivesError={drivesError} batch={batch} flash={flash} />
        <div className="field checkbox">
          <input id="quick-verify" type="checkbox" checked={quick.verify} disabled={running} onChange={(e) => setQuick((state) => ({ ...state, verify: e.target.checked }))} />
          <label htmlFor="quick-verify">Verify every card after writing</label>
        </div>
      </section>

      <div className="row flash-bar">
        <button
          type="button"
          className="primary"
          disabled={running}
          aria-disabled={batch.blockers.length > 0}
          aria-describedby="quick-blockers"
          onClick={() => (batch.blockers.length > 0 ? setShowAll(true) : void batch.start())}
        >
          Flash {count} card{count === 1 ? '' : 's'}
        </button>
        <button type="button" disabled={!running} onClick={() => void flash.cancel()}>
          Cancel flashing
        </button>
      </div>
      <ul id="quick-blockers" className="small muted" aria-label="Before flashing">
        {batch.blockers.map((text) => <li key={text}>{text}</li>)}
      </ul>
      {batch.saveError && <p role="alert" className="error">{batch.saveError}</p>}
      {flash.error && <p role="alert" className="error">Not started: {flash.error}</p>}
      {flash.result && (
        <BatchResult result={flash.result} className="quick-part">
          <button type="button" className="primary" onClick={batch.nextBatch}>
            Flash the next batch
          </button>
        </BatchResult>
      )}
    </section>
  )
}
