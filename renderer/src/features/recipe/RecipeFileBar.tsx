/**
 * Opening and saving the recipe. The file is a path on the computer core runs on: typed (or
 * chosen in the desktop app's dialog); a browser can also read a YAML file it is given and
 * download the YAML.
 */
import { useId, useState } from 'react'
import type { Output } from '@common/contract'
import { useClient } from '../../client/context'
import { useWizard } from '../../state/wizard'
import { desktop } from '../../ui/desktop'
import { FilePickerButton } from '../../ui/FilePickerButton'
import type { RecipeDraft } from './draft'

interface Props {
  yaml: string | null
  validation: Output<'recipes.toYaml'>['validation'] | null
  pending: boolean
  /** A save attempt on an invalid recipe: show every problem. */
  onInvalidSave: () => void
  onLoaded: (draft: RecipeDraft) => void
}

export function RecipeFileBar({ yaml, validation, pending, onInvalidSave, onLoaded }: Props) {
  const client = useClient()
  const { recipePath, setRecipePath, updateSettings } = useWizard()
  const [status, setStatus] = useState<{ text: string; error?: boolean } | null>(null)
  const id = useId()
  const api = desktop()

  const YAML_FILES = [{ name: 'Recipe (YAML)', extensions: ['yml', 'yaml'] }]
  const save = async (to = recipePath) => {
    if (pending || !validation || !yaml) return setStatus({ text: 'Still checking the recipe: try again in a moment', error: true })
    if (!validation.valid) {
      onInvalidSave()
      return setStatus({ text: `Not saved: the recipe has ${validation.problems.length} problem${validation.problems.length === 1 ? '' : 's'} (marked below)`, error: true })
    }
    if (!to.trim()) return setStatus({ text: 'Not saved: type where to save the recipe (a .yml path)', error: true })
    try {
      const saved = await client.call('recipes.save', { path: to.trim(), yaml })
      setRecipePath(saved.path)
      void updateSettings({ lastRecipePath: saved.path })
      setStatus({ text: `Saved ${saved.path}` })
    } catch (error) {
      setStatus({ text: (error as Error).message, error: true })
    }
  }

  const load = async (text: string, from: string) => {
    const { data, validation: checked } = await client.call('recipes.fromYaml', { yaml: text })
    if (!data) return setStatus({ text: `${from} is not a recipe: ${checked.problems[0]?.message ?? 'not a YAML mapping'}`, error: true })
    onLoaded(data)
    setStatus({ text: `Opened ${from}${checked.valid ? '' : ` (${checked.problems.length} problems to fix)`}` })
  }

  const open = async (from = recipePath) => {
    try {
      const loaded = await client.call('recipes.load', { path: from.trim() })
      setRecipePath(loaded.path)
      void updateSettings({ lastRecipePath: loaded.path })
      await load(loaded.yaml, loaded.path)
    } catch (error) {
      setStatus({ text: (error as Error).message, error: true })
    }
  }

  const download = () => {
    if (!yaml) return
    const link = document.createElement('a')
    link.href = URL.createObjectURL(new Blob([yaml], { type: 'application/yaml' }))
    link.download = `${validation?.name ?? 'recipe'}.yml`
    link.click()
    URL.revokeObjectURL(link.href)
  }

  return (
    <div className="file-bar" role="group" aria-label="Recipe file">
      <label htmlFor={id}>Recipe file</label>
      <input id={id} value={recipePath} onChange={(event) => setRecipePath(event.target.value)} placeholder="/home/me/fleet/recipe.yml" spellCheck={false} />
      <button type="button" onClick={() => void open()} disabled={!recipePath.trim()}>
        Open
      </button>
      <button type="button" className="primary" onClick={() => void save()}>
        Save recipe
      </button>
      {api && (
        <>
          <button type="button" onClick={() => void api.openFile({ title: 'Open a recipe', filters: YAML_FILES }).then((file) => (file ? (setRecipePath(file), open(file)) : undefined))}>
            Open recipe…
          </button>
          <button type="button" onClick={() => void api.saveFile({ title: 'Save the recipe', defaultPath: recipePath || `${validation?.name ?? 'recipe'}.yml`, filters: YAML_FILES }).then((file) => (file ? save(file) : undefined))}>
            Save recipe as…
          </button>
        </>
      )}
      <FilePickerButton accept=".yml,.yaml,text/yaml" label="Import recipe YAML file" onFile={(file) => void file.text().then((text) => load(text, file.name))}>
        Import YAML…
      </FilePickerButton>
      <button type="button" onClick={download} disabled={!yaml}>
        Download YAML
      </button>
      {status && (
        <p role={status.error ? 'alert' : 'status'} className={status.error ? 'error' : 'ok'}>
          {status.text}
        </p>
      )}
    </div>
  )
}
