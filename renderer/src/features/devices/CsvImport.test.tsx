// @vitest-environment jsdom
/** Importing devices.csv through the real core: every problem listed with its row; nothing imported until there are none. */
import { cleanup, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Client } from '@common/client'
import { startCoreClient } from '../../../../e2e/launchers/core-client'
import { ClientProvider } from '../../client/context'
import { CsvImport } from './CsvImport'
import { DEFAULT_TEMPLATES, type DeviceRow } from './model'

let core: Awaited<ReturnType<typeof startCoreClient>>
let client: Client
beforeAll(async () => {
  core = await startCoreClient()
  client = core.client
}, 30_000)
afterEach(cleanup)
afterAll(() => core?.stop())

function renderImport() {
  const imported: DeviceRow[][] = []
  render(
    <ClientProvider client={client}>
      <CsvImport rows={[]} templates={DEFAULT_TEMPLATES} onImport={(rows) => imported.push(rows)} />
    </ClientProvider>,
  )
  const upload = (name: string, text: string) => userEvent.setup().upload(screen.getByLabelText('Import devices CSV file'), new File([text], name, { type: 'text/csv' }))
  return { imported, upload }
}

describe('CSV import', () => {
  it('lists every problem with its row and column, and imports nothing', async () => {
    const { imported, upload } = renderImport()
    await upload('bad.csv', 'hostname,static ip,path\nok-1,10.0.0.1/24,x\nBad_Host,10.0.0.2/24,y\nok-1,10.0.0.3/24,z\nok-4,"unclosed\n')
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('Nothing imported: bad.csv has')
    const items = within(screen.getByRole('list', { name: 'CSV problems' }))
      .getAllByRole('listitem')
      .map((item) => item.textContent)
    expect(items).toEqual([
      'Row 1, column “path”: PATH is reserved by the startup-scripts runner (it would be ignored)',
      'Row 3, column “hostname”: Hostname "Bad_Host" is not valid: it must be 1–63 lowercase letters, digits or hyphens, not starting or ending with a hyphen',
      'Row 4, column “hostname”: Hostname "ok-1" is on rows 2 and 4',
      'Row 5: Not valid CSV: a quoted field is not closed (a " is missing)',
    ])
    expect(imported).toEqual([])
  })

  it('says what is wrong with a file that is not comma-separated', async () => {
    const { imported, upload } = renderImport()
    await upload('semicolons.csv', 'hostname;site\na;b\n')
    expect((await screen.findByRole('list', { name: 'CSV problems' })).textContent).toContain('Orchard reads comma-separated files only')
    expect(imported).toEqual([])
  })

  it('imports the devices of a good file with their variables, and clears earlier problems', async () => {
    const { imported, upload } = renderImport()
    await upload('bad.csv', 'hostname\n-x\n')
    await screen.findByRole('alert')
    await upload('devices.csv', '\uFEFFhostname,static ip,site\r\nsensor-001,10.0.0.11/24,north\r\nsensor-002,10.0.0.12/24,"south, building 2"\r\n')
    expect((await screen.findByRole('status')).textContent).toBe('Imported 2 devices from devices.csv')
    expect(screen.queryByRole('alert')).toBeNull()
    expect(imported).toHaveLength(1)
    expect(imported[0]!.map(({ hostname, variables }) => ({ hostname, variables }))).toEqual([
      { hostname: 'sensor-001', variables: { STATIC_IP: '10.0.0.11/24', SITE: 'north' } },
      { hostname: 'sensor-002', variables: { STATIC_IP: '10.0.0.12/24', SITE: 'south, building 2' } },
    ])
  })
})
