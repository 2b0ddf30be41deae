/**
 * What the steps share while the app runs: the recipe being edited, the image to flash,
 * the devices table with its script templates, the Quick flash screen's choices, and core's settings. Held above the steps
 * so moving between them keeps everything.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import type { Settings } from '@common/contract'
import { useClient } from '../client/context'
import { DEFAULT_TEMPLATES, type DeviceRow, type ScriptFile } from '../features/devices/model'
import { emptyDraft, type RecipeDraft } from '../features/recipe/draft'
import { emptyQuick, type QuickState } from '../features/quick/model'

export interface WizardState {
  recipe: RecipeDraft
  setRecipe: (update: RecipeDraft | ((draft: RecipeDraft) => RecipeDraft)) => void
  recipePath: string
  setRecipePath: (path: string) => void
  /** The image the Flash step writes: the last build's, or one picked from the library. */
  image: string
  setImage: (path: string) => void
  devices: DeviceRow[]
  setDevices: (update: DeviceRow[] | ((rows: DeviceRow[]) => DeviceRow[])) => void
  templates: ScriptFile[]
  setTemplates: (update: ScriptFile[] | ((files: ScriptFile[]) => ScriptFile[])) => void
  /** The Quick flash screen: image, everyday settings, options (the devices table is the one above). */
  quick: QuickState
  setQuick: (update: QuickState | ((state: QuickState) => QuickState)) => void
  settings: Settings | null
  updateSettings: (changes: Partial<Settings>) => Promise<void>
}

const WizardContext = createContext<WizardState | null>(null)

export function WizardProvider({ children }: { children: ReactNode }) {
  const client = useClient()
  const [recipe, setRecipe] = useState<RecipeDraft>(emptyDraft)
  const [recipePath, setRecipePath] = useState('')
  const [image, setImage] = useState('')
  const [devices, setDevices] = useState<DeviceRow[]>([])
  const [templates, setTemplates] = useState<ScriptFile[]>(DEFAULT_TEMPLATES)
  const [quick, setQuick] = useState<QuickState>(emptyQuick)
  const [settings, setSettings] = useState<Settings | null>(null)

  useEffect(() => {
    void client.call('settings.get', {}).then((loaded) => {
      setSettings(loaded)
      if (loaded.lastRecipePath) setRecipePath((current) => current || loaded.lastRecipePath!)
    }, () => setSettings(null))
  }, [client])

  const updateSettings = useCallback(
    async (changes: Partial<Settings>) => {
      // Remembering is best effort: a failure must not interrupt the work the user is doing.
      await client.call('settings.set', changes).then(setSettings, (error: Error) => console.warn(`Settings not saved: ${error.message}`))
    },
    [client],
  )

  const value = useMemo(
    () => ({ recipe, setRecipe, recipePath, setRecipePath, image, setImage, devices, setDevices, templates, setTemplates, quick, setQuick, settings, updateSettings }),
    [recipe, recipePath, image, devices, templates, quick, settings, updateSettings],
  )
  return <WizardContext.Provider value={value}>{children}</WizardContext.Provider>
}

export function useWizard(): WizardState {
  const state = useContext(WizardContext)
  if (!state) throw new Error('useWizard outside WizardProvider')
  return state
}
