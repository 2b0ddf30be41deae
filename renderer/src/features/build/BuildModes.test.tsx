// @vitest-environment jsdom
/**
 * The Build step's Cloud (AWS) choice against a real core: disabled with its reason while the
 * cloud capability is not ready, enabled once the cloud settings name a bucket (credentials
 * and region come from the core's environment here; the probe asks no network).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { cleanup, render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Client } from '@common/client'
import { startCoreClient } from '../../../../e2e/launchers/core-client'
import { ClientProvider } from '../../client/context'
import { SystemCheckContext, useSystemCheck } from '../../shell/useSystemCheck'
import { WizardProvider } from '../../state/wizard'
import { description } from '../../testing/dom'
import { BuildStep } from './BuildStep'

// The real core in its own process, over the bridge: jsdom's globals stay out of Node code.
let dir: string
let core: Awaited<ReturnType<typeof startCoreClient>>
let client: Client

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-build-modes-'))
  await mkdir(path.join(dir, 'aws'), { recursive: true })
  await writeFile(path.join(dir, 'aws', 'config'), '')
  await writeFile(path.join(dir, 'aws', 'credentials'), '')
  // Whatever this machine has, the core sees these AWS settings only (blank = unset).
  const blank = Object.fromEntries(Object.keys(process.env).filter((key) => key.startsWith('AWS_')).map((key) => [key, '']))
  core = await startCoreClient({
    ...blank,
    ORCHARD_DATA_DIR: path.join(dir, 'data'),
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
    AWS_REGION: 'eu-west-1',
    AWS_CONFIG_FILE: path.join(dir, 'aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'aws', 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  })
  client = core.client
}, 30_000)
afterEach(cleanup)
afterAll(async () => {
  await core?.stop()
  await rm(dir, { recursive: true, force: true })
})

function Harness() {
  const system = useSystemCheck()
  return (
    <SystemCheckContext.Provider value={system}>
      <BuildStep />
    </SystemCheckContext.Provider>
  )
}

describe('the Cloud (AWS) build choice', () => {
  it('is disabled with its reason until the cloud settings name a bucket, then enabled', async () => {
    render(
      <ClientProvider client={client}>
        <WizardProvider>
          <Harness />
        </WizardProvider>
      </ClientProvider>,
    )
    const user = userEvent.setup()
    const cloud = screen.getByRole('radio', { name: 'Cloud (AWS)' })
    await waitFor(() => expect((cloud as HTMLInputElement).disabled).toBe(true), { timeout: 15_000 })
    expect(description(cloud)).toMatch(/Unavailable: Needs Cloud bucket or stack chosen \(No bucket or stack in the cloud settings\)/)
    // Credentials and region were found: they are not named as missing.
    expect(description(cloud)).not.toMatch(/Unavailable:.*(AWS credentials|AWS region)/)

    // The settings form is open while the choice is blocked; saving re-runs the check.
    const settings = screen.getByRole('form', { name: 'Cloud settings' })
    await user.type(screen.getByLabelText('Bucket'), 'orchard-builds')
    await user.click(screen.getByRole('button', { name: 'Save cloud settings' }))
    await waitFor(() => expect((cloud as HTMLInputElement).disabled).toBe(false), { timeout: 15_000 })
    expect(description(cloud)).not.toMatch(/Unavailable/)
    expect(settings).toBeTruthy()
    expect((await client.call('settings.get', {})).cloud).toEqual({ region: null, profile: null, bucket: 'orchard-builds', stack: null, endpoint: null, signingKey: null })
  }, 40_000)
})
