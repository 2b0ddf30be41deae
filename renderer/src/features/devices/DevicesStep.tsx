/**
 * The Devices step: the table of devices (typed, added by pattern, imported from CSV), each
 * checked by core as it is edited, and the selected device's startup scripts.
 */
import { useMemo, useState } from 'react'
import { useWizard } from '../../state/wizard'
import { CsvImport } from './CsvImport'
import { DeviceTable } from './DeviceTable'
import { newRowId, templateProblems } from './model'
import { PatternAdd } from './PatternAdd'
import { ScriptsPanel } from './ScriptsPanel'
import { useDeviceCheck } from './useDeviceCheck'

export function DevicesStep() {
  const { devices, setDevices, templates, setTemplates } = useWizard()
  const [selectedId, setSelectedId] = useState<string | null>(null)
  const problems = useDeviceCheck(devices, templates)
  const warnings = useMemo(() => templateProblems(devices, templates), [devices, templates])
  const selectedIndex = devices.findIndex((row) => row.id === selectedId)
  const index = selectedIndex >= 0 ? selectedIndex : devices.length > 0 ? 0 : -1
  const row = index >= 0 ? devices[index]! : null

  return (
    <section aria-label="Devices step" className="devices-step">
      <div className="toolbar">
        <button type="button" onClick={() => setDevices([...devices, { id: newRowId(), hostname: '', variables: {}, overrides: {} }])}>
          Add device
        </button>
        <PatternAdd count={devices.length} onAdd={(rows) => setDevices([...devices, ...rows])} />
        <CsvImport rows={devices} templates={templates} onImport={(rows) => setDevices([...devices, ...rows])} />
      </div>
      <p role="status" className="small" aria-label="Devices summary">
        {devices.length} device{devices.length === 1 ? '' : 's'}
        {problems.length > 0 ? ` · ${problems.length} problem${problems.length === 1 ? '' : 's'} to fix before flashing` : ''}
      </p>
      {devices.length > 0 ? (
        <DeviceTable rows={devices} problems={problems} templateWarnings={warnings} selected={row?.id ?? null} onSelect={setSelectedId} onChange={setDevices} />
      ) : (
        <p className="muted">No devices yet: add some, by pattern, or import a devices.csv (a hostname column and any variables).</p>
      )}
      {row && (
        <ScriptsPanel
          key={row.id}
          row={row}
          index={index}
          templates={templates}
          onTemplates={setTemplates}
          onRow={(next) => setDevices((rows) => rows.map((r) => (r.id === next.id ? next : r)))}
        />
      )}
    </section>
  )
}
