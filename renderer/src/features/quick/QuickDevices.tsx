/**
 * Devices, optional: named by a pattern or read from a devices.csv, each card in the batch
 * gets the next one (its hostname, variables and startup scripts). The table is the Devices
 * step's, where each device's scripts can be edited.
 */
import type { DeviceProblem } from '@common/contract'
import { useWizard } from '../../state/wizard'
import { CsvImport } from '../devices/CsvImport'
import { PatternAdd } from '../devices/PatternAdd'

export function QuickDevices({ flashed, problems, disabled }: { flashed: number; problems: DeviceProblem[]; disabled: boolean }) {
  const { devices, setDevices, templates, setQuick } = useWizard()
  const queue = devices.slice(flashed)
  return (
    <div className="quick-devices">
      <div className="toolbar">
        <PatternAdd count={devices.length} onAdd={(rows) => setDevices([...devices, ...rows])} />
        <CsvImport rows={devices} templates={templates} onImport={(rows) => setDevices([...devices, ...rows])} />
      </div>
      <p className="small" role="status" aria-label="Device queue">
        {devices.length === 0
          ? 'No devices: every card gets the same settings (the hostname pattern above, if any).'
          : queue.length === 0
            ? `All ${devices.length} devices are flashed: further cards get the same settings only.`
            : `${queue.length} device${queue.length === 1 ? '' : 's'} to flash: ${queue.slice(0, 5).map((row) => row.hostname).join(', ')}${queue.length > 5 ? ` and ${queue.length - 5} more` : ''}${flashed ? ` (${flashed} flashed before)` : ''}. Scripts per device: Devices step.`}
      </p>
      {problems.length > 0 && (
        <ul className="row-problems" aria-label="Device problems">
          {problems.map((problem) => (
            <li key={`${problem.index}:${problem.field}:${problem.message}`}>
              Device {problem.index + 1}: {problem.message}
            </li>
          ))}
        </ul>
      )}
      {devices.length > 0 && (
        <button type="button" disabled={disabled} onClick={() => (setDevices([]), setQuick((state) => ({ ...state, flashedDevices: 0 })))}>
          Remove all devices
        </button>
      )}
    </div>
  )
}
