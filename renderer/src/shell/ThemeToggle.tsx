/** Light, dark, or the system's choice: saved in settings, so the next start looks the same. */
import { useId } from 'react'
import type { Settings } from '@common/contract'
import { useWizard } from '../state/wizard'

const CHOICES: { value: Settings['theme']; label: string }[] = [
  { value: 'system', label: 'As the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
]

export function ThemeToggle() {
  const id = useId()
  const { settings, updateSettings } = useWizard()
  return (
    <div className="theme-toggle">
      <label htmlFor={id}>Theme</label>
      <select id={id} value={settings?.theme ?? 'system'} disabled={!settings} onChange={(event) => void updateSettings({ theme: event.target.value as Settings['theme'] })}>
        {CHOICES.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </div>
  )
}
