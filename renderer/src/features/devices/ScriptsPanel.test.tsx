// @vitest-environment jsdom
/** The live preview: the selected device's script rendered from the template or its own version, as its card will get it. */
import { useState } from 'react'
import { act, cleanup, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { EditorView } from 'codemirror'
import { afterEach, describe, expect, it } from 'vitest'
import { allowMeasuring } from '../../testing/layout'
import { toDevice, type DeviceRow, type ScriptFile } from './model'
import { ScriptsPanel } from './ScriptsPanel'

allowMeasuring()
afterEach(cleanup)

const TEMPLATE: ScriptFile = { folder: 'runOnce', name: '20-site.sh', content: '#!/bin/sh\necho "{{HOSTNAME}} #{{n:03}} at {{SITE}}"\n' }
const rows: DeviceRow[] = [
  { id: 'a', hostname: 'sensor-001', variables: { SITE: 'north' }, overrides: {} },
  { id: 'b', hostname: 'sensor-002', variables: { SITE: 'south' }, overrides: {} },
]

/** The panel with its state held like the Devices step holds it; `state` shows what the step would flash. */
function renderPanel(index: number, start: DeviceRow[] = rows) {
  const state: { rows: DeviceRow[]; templates: ScriptFile[] } = { rows: start, templates: [TEMPLATE] }
  function Harness() {
    const [all, setAll] = useState(start)
    const [templates, setTemplates] = useState([TEMPLATE])
    state.rows = all
    state.templates = templates
    return <ScriptsPanel row={all[index]!} index={index} templates={templates} onTemplates={setTemplates} onRow={(row) => setAll(all.map((r) => (r.id === row.id ? row : r)))} />
  }
  render(<Harness />)
  return state
}

const preview = (hostname: string) => screen.getByLabelText(`Preview of run-once/20-site.sh for ${hostname}`)
/** Replaces the editor's text the way typing does: one CodeMirror transaction. */
function typeInEditor(text: string) {
  const view = EditorView.findFromDOM(screen.getByRole('textbox', { name: 'Script editor: run-once/20-site.sh' }))!
  act(() => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }))
}

describe('the script preview', () => {
  it("renders the template with the selected device's variables and number", () => {
    renderPanel(1)
    expect(preview('sensor-002').textContent).toBe('#!/bin/sh\necho "sensor-002 #002 at south"\n')
  })

  it('shows a hostile value as quoted text, and says how {{NAME}} and {{raw:NAME}} differ', () => {
    renderPanel(0, [{ id: 'a', hostname: 'sensor-001', variables: { SITE: 'x$(touch /tmp/pwned)' }, overrides: {} }])
    expect(preview('sensor-001').textContent).toBe('#!/bin/sh\necho "sensor-001 #001 at x\\$(touch /tmp/pwned)"\n')
    expect(screen.getByLabelText('Template help').textContent).toMatch(/\{\{NAME\}\} puts the device's value in as quoted text.*\{\{raw:NAME\}\} puts it in as it is/)
  })

  it('names a variable the device does not have', () => {
    renderPanel(0, [{ id: 'a', hostname: 'sensor-001', variables: {}, overrides: {} }])
    expect(preview('sensor-001').textContent).toContain('at {{SITE}}')
    expect(within(screen.getByRole('list', { name: 'Template problems' })).getByRole('listitem').textContent).toBe('{{SITE}}: no variable SITE for this device')
  })

  it('edits for this device only: the preview and the flashed files change for it, the template stays', async () => {
    const state = renderPanel(1)
    await userEvent.setup().click(screen.getByRole('radio', { name: 'Only sensor-002' }))
    typeInEditor('#!/bin/sh\necho "special {{HOSTNAME}}"\n')
    expect(preview('sensor-002').textContent).toBe('#!/bin/sh\necho "special sensor-002"\n')
    expect(state.templates).toEqual([TEMPLATE])
    expect(toDevice(state.rows[1]!, 1, state.templates).files?.runOnce).toEqual({ '20-site.sh': '#!/bin/sh\necho "special sensor-002"\n' })
    expect(toDevice(state.rows[0]!, 0, state.templates).files?.runOnce).toEqual({ '20-site.sh': '#!/bin/sh\necho "sensor-001 #001 at north"\n' })
    expect(screen.getByRole('button', { name: /run-once\/20-site\.sh/ }).textContent).toContain('this device')
  })

  it('edits the template for all devices when asked, and goes back to it', async () => {
    const user = userEvent.setup()
    const state = renderPanel(0, [rows[0]!, { ...rows[1]!, overrides: { 'runOnce/20-site.sh': 'own\n' } }])
    typeInEditor('echo "{{HOSTNAME}} v2"\n')
    expect(preview('sensor-001').textContent).toBe('echo "sensor-001 v2"\n')
    expect(state.templates[0]!.content).toBe('echo "{{HOSTNAME}} v2"\n')
    // The device with its own version keeps it.
    expect(toDevice(state.rows[1]!, 1, state.templates).files?.runOnce).toEqual({ '20-site.sh': 'own\n' })
    cleanup()
    renderPanel(1, [rows[0]!, { ...rows[1]!, overrides: { 'runOnce/20-site.sh': 'own\n' } }])
    expect(preview('sensor-002').textContent).toBe('own\n')
    await user.click(screen.getByRole('button', { name: 'Use the template again' }))
    expect(preview('sensor-002').textContent).toBe('#!/bin/sh\necho "sensor-002 #002 at south"\n')
  })

  it("attaches a certificate to this device's resources and refuses a binary file", async () => {
    const user = userEvent.setup()
    const state = renderPanel(1)
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    await user.upload(screen.getByLabelText('Attach a file for sensor-002'), new File([pem], 'device.pem'))
    expect(toDevice(state.rows[1]!, 1, state.templates).files?.resources).toEqual({ 'device.pem': pem })
    expect(toDevice(state.rows[0]!, 0, state.templates).files?.resources ?? {}).toEqual({})
    expect(screen.getByRole('button', { name: /resources\/device\.pem/ }).textContent).toContain('this device')
    await user.upload(screen.getByLabelText('Attach a file for sensor-002'), new File([new Uint8Array([0xff, 0xfe, 0x00, 0x81])], 'blob.bin'))
    expect(screen.getByRole('alert').textContent).toBe('blob.bin is not a text file: resources take text (PEM certificates and keys, configs)')
    expect(Object.keys(toDevice(state.rows[1]!, 1, state.templates).files?.resources ?? {})).toEqual(['device.pem'])
  })
})
