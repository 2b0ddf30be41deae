/**
 * Light or dark: the OS's choice (CSS prefers-color-scheme) unless the user picked one in
 * settings; the choice is set on <html> so the stylesheet has one switch.
 */
import { useEffect } from 'react'
import { useWizard } from '../state/wizard'

export function useTheme(): void {
  const { settings } = useWizard()
  const theme = settings?.theme ?? 'system'
  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme
    else document.documentElement.dataset.theme = theme
  }, [theme])
}
