// @vitest-environment jsdom
/** The Connect and cloud-init files sections: what each writes into the recipe draft. */
import { cleanup, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState, type ReactNode } from 'react'
import { afterEach, expect, it } from 'vitest'
import type { Client } from '@common/client'
import { ClientProvider } from '../../../client/context'
import { setAt, type RecipeDraft } from '../draft'
import { FormProvider } from '../form'
import { CloudInitFilesFields } from './cloud-init-files'
import { ConnectFields } from './connect'

afterEach(cleanup)

const draft = () => JSON.parse(screen.getByLabelText('Draft').textContent!) as RecipeDraft

function Harness({ children, errors = {} }: { children: ReactNode; errors?: Record<string, string> }) {
  const [data, setData] = useState<RecipeDraft>({})
  const api = { data, set: (path: string, value: unknown) => setData((current) => setAt(current, path, value)), touch: () => {}, errors: (path: string) => (errors[path] ? [errors[path]] : []) }
  // The token cannot be hashed: nothing here may ask core to seal it.
  const client = { call: () => Promise.reject(new Error('the token went to core')) } as unknown as Client
  return (
    <ClientProvider client={client}>
      <FormProvider api={api}>
        {children}
        <output aria-label="Draft">{JSON.stringify(data)}</output>
      </FormProvider>
    </ClientProvider>
  )
}

it('keeps the Connect token as the sealed authKey, never shows it again, and can change or drop it', async () => {
  const user = userEvent.setup()
  render(
    <Harness>
      <ConnectFields />
    </Harness>,
  )
  await user.click(screen.getByLabelText('Sign in to Raspberry Pi Connect at first boot'))
  const input = screen.getByLabelText('Connect sign-in token')
  expect(input.getAttribute('type')).toBe('password')
  await user.type(input, 'rpuak_formToken12345{Enter}')
  expect(draft().connect).toEqual({ authKey: 'rpuak_formToken12345' })
  expect(screen.queryByDisplayValue('rpuak_formToken12345')).toBeNull()
  await user.type(screen.getByLabelText('Sign in as user'), 'kiosk')
  expect(draft().connect).toEqual({ authKey: 'rpuak_formToken12345', user: 'kiosk' })
  await user.click(screen.getByRole('button', { name: 'Change connect sign-in token' }))
  expect(draft().connect).toEqual({ user: 'kiosk' })
  await user.click(screen.getByLabelText('Sign in to Raspberry Pi Connect at first boot'))
  expect(draft().connect).toBeUndefined()
})

it("shows core's problem with the token at the field", async () => {
  const user = userEvent.setup()
  render(
    <Harness errors={{ 'connect.token': 'give exactly one of token or authKey' }}>
      <ConnectFields />
    </Harness>,
  )
  await user.click(screen.getByLabelText('Sign in to Raspberry Pi Connect at first boot'))
  const input = screen.getByLabelText('Connect sign-in token')
  expect(input.getAttribute('aria-invalid')).toBe('true')
  expect(document.getElementById(input.getAttribute('aria-describedby')!)?.textContent).toBe('give exactly one of token or authKey')
})

it('names the cloud-init files, and leaves cloudInit out when both are emptied', async () => {
  const user = userEvent.setup()
  render(
    <Harness>
      <CloudInitFilesFields />
    </Harness>,
  )
  await user.type(screen.getByLabelText('user-data file'), 'seed/user-data')
  await user.type(screen.getByLabelText('network-config file'), 'seed/net')
  expect(draft().cloudInit).toEqual({ userData: 'seed/user-data', networkConfig: 'seed/net' })
  await user.clear(screen.getByLabelText('user-data file'))
  expect(draft().cloudInit).toEqual({ networkConfig: 'seed/net' })
  await user.clear(screen.getByLabelText('network-config file'))
  expect(draft().cloudInit).toBeUndefined()
})
