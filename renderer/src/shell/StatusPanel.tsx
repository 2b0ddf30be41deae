import type { Capability } from '@common/contract'
import { failingRequired, type SystemCheckState } from './useSystemCheck'

export function StatusPanel({ state }: { state: SystemCheckState }) {
  const { check, running, error, probesSeen, recheck } = state
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
        <ul className="capabilities" aria-label="Capabilities">
          {check.capabilities.map((capability) => (
            <CapabilityItem key={capability.id} capability={capability} />
          ))}
        </ul>
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
