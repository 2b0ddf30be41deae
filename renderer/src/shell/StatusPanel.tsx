/**
 * "This computer": what the chosen path needs from the machine, and only that (no cloud or
 * Docker on a quick flash). Collapsed to one line when all of it is ready; open, with the
 * fixes, when something is missing.
 */
import { useState } from 'react'
import type { Capability, CapabilityId } from '@common/contract'
import { failingRequired, type SystemCheckState } from './useSystemCheck'

export function StatusPanel({ state, needs }: { state: SystemCheckState; needs: CapabilityId[] | null }) {
  const { check, running, error, probesSeen, recheck } = state
  const shown = check?.capabilities.filter((capability) => !needs || needs.includes(capability.id)) ?? []
  const ready = check !== null && shown.every((capability) => capability.ready)
  // Open when something needed is missing, collapsed when all is ready; the user's toggle holds until the verdict or the path changes.
  const verdict = `${needs?.join(',') ?? 'all'}:${ready}`
  const [toggled, setToggled] = useState<{ verdict: string; open: boolean } | null>(null)
  const open = toggled?.verdict === verdict ? toggled.open : !ready
  return (
    <aside className="status" aria-labelledby="status-title">
      <header>
        <h2 id="status-title">This computer</h2>
        <button type="button" onClick={recheck} disabled={running}>
          {running ? 'Checking…' : 'Check again'}
        </button>
      </header>
      {running && <p className="muted" role="status">Checking… {probesSeen} probes done</p>}
      {error && <p role="alert" className="error">System check failed: {error}</p>}
      {check && (
        <details className="status-details" open={open} onToggle={(event) => {
            const now = event.currentTarget.open
            if (now !== open) setToggled({ verdict, open: now })
          }}>
          <summary>
            {ready ? (
              <span className="badge ok">Ready</span>
            ) : (
              <span className="badge missing">Missing</span>
            )}{' '}
            {ready ? 'Everything this needs is ready' : `${shown.filter((c) => !c.ready).map((c) => c.label).join(', ')}`}
          </summary>
          <ul className="capabilities" aria-label="Capabilities">
            {shown.map((capability) => (
              <CapabilityItem key={capability.id} capability={capability} />
            ))}
          </ul>
        </details>
      )}
      {check && !running && (
        <p className="muted small" data-checked-at={check.checkedAt}>
          Checked {new Date(check.checkedAt).toLocaleTimeString()} · {probesSeen} probes reported
        </p>
      )}
    </aside>
  )
}

function CapabilityItem({ capability }: { capability: Capability }) {
  const missing = failingRequired(capability.probes)
  return (
    <li aria-label={capability.label} data-ready={capability.ready}>
      <details open={!capability.ready}>
        <summary>
          <span className={capability.ready ? 'badge ok' : 'badge missing'}>{capability.ready ? 'Ready' : 'Missing'}</span>{' '}
          {capability.label}
        </summary>
        {missing.length > 0 && <p className="small">Needs: {missing.map((probe) => probe.label).join(', ')}</p>}
        <ul className="probes">
          {capability.probes.map((probe) => (
            <li key={probe.id} data-ok={probe.ok}>
              <span aria-hidden="true">{probe.ok ? '✓' : probe.required ? '✗' : '–'}</span>{' '}
              <strong>{probe.label}</strong>
              {!probe.required && <span className="muted"> (optional)</span>}
              <div className="small">{probe.detail}</div>
              {!probe.ok && probe.fix && <div className="small fix">Fix: {probe.fix}</div>}
            </li>
          ))}
        </ul>
      </details>
    </li>
  )
}
