import { useEffect, useState } from 'react'
import type { AppInfo } from '@common/contract'
import { useClient } from '../client/context'
import { StatusPanel } from './StatusPanel'
import { FACTORY, QUICK, SCREENS, STEPS } from './steps'
import { WizardProvider } from '../state/wizard'
import { About } from './About'
import { ThemeToggle } from './ThemeToggle'
import { useTheme } from './useTheme'
import { useHashRoute } from './useHashRoute'
import { SystemCheckContext, useSystemCheck } from './useSystemCheck'

export function App() {
  return (
    <WizardProvider>
      <Wizard />
    </WizardProvider>
  )
}

function Wizard() {
  const client = useClient()
  const route = useHashRoute(SCREENS.map((step) => step.id))
  const system = useSystemCheck()
  const [info, setInfo] = useState<AppInfo | null>(null)
  useEffect(() => void client.call('app.info', {}).then(setInfo, () => setInfo(null)), [client])

  const current = SCREENS.find((step) => step.id === route) ?? STEPS[0]!
  const quick = current.id === QUICK.id
  const Step = current.component
  useTheme()
  const blocked = current.uses.filter((id) => system.check?.capabilities.find((c) => c.id === id)?.ready === false)

  return (
    <SystemCheckContext.Provider value={system}>
    <div className="app">
      <a className="skip-link" href="#step-title" onClick={(event) => (event.preventDefault(), document.getElementById('step-title')?.focus())}>
        Skip to the step
      </a>
      <header className="topbar">
        <h1>Orchard</h1>
        <nav aria-label="Quick path">
          <a className="quick-link" href={`#/${QUICK.id}`} aria-current={quick ? 'page' : undefined}>
            {QUICK.title}
          </a>
        </nav>
        <nav aria-label="Factory mode">
          <a className="quick-link" href={`#/${FACTORY.id}`} aria-current={current.id === FACTORY.id ? 'page' : undefined}>
            {FACTORY.title}
          </a>
        </nav>
        <nav aria-label="Wizard steps">
          <ol className="steps">
            {STEPS.map((step, index) => (
              <li key={step.id}>
                <a href={`#/${step.id}`} aria-current={step.id === current.id ? 'step' : undefined}>
                  <span className="step-number">{index + 1}</span> {step.title}
                </a>
              </li>
            ))}
          </ol>
        </nav>
        <ThemeToggle />
      </header>
      <div className="body">
        <main aria-labelledby="step-title">
          <h2 id="step-title" tabIndex={-1}>{current.title}</h2>
          <p className="muted">{current.summary}</p>
          {blocked.length > 0 && (
            <p className="notice" role="note">
              Some ways to run this step are not available on this computer; see “This computer”.
            </p>
          )}
          <Step />
        </main>
        {/* What this screen uses (the quick path: quick build and flashing; Flash: flashing); a screen that uses none (Recipe, Devices, Card) shows all. */}
        <StatusPanel state={system} needs={current.uses.length ? current.uses : null} />
      </div>
      <footer className="muted small">
        {info ? `Orchard ${info.version} · ${info.runtime} · ${info.platform}/${info.arch}${info.elevated ? ' · elevated' : ''}` : 'Orchard'}{' '}
        <About info={info} />
      </footer>
    </div>
    </SystemCheckContext.Provider>
  )
}
