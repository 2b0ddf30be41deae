// @vitest-environment jsdom
/** The interfaces section writes true/false per interface, and nothing for "as the image has it". */
import { cleanup, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { afterEach, expect, it } from 'vitest'
import { setAt, type RecipeDraft } from '../draft'
import { FormProvider } from '../form'
import { InterfacesFields } from './interfaces'

afterEach(cleanup)

const draft = () => JSON.parse(screen.getByLabelText('Draft').textContent!) as RecipeDraft

function Harness({ errors = {} }: { errors?: Record<string, string> }) {
  const [data, setData] = useState<RecipeDraft>({})
  const api = { data, set: (path: string, value: unknown) => setData((draft) => setAt(draft, path, value)), touch: () => {}, errors: (path: string) => (errors[path] ? [errors[path]] : []) }
  return (
    <FormProvider api={api}>
      <InterfacesFields />
      <output aria-label="Draft">{JSON.stringify(data)}</output>
    </FormProvider>
  )
}

it('switches interfaces on and off, and forgets one set back to the image', async () => {
  const user = userEvent.setup()
  render(<Harness />)
  await user.selectOptions(screen.getByLabelText('I2C'), 'on')
  await user.selectOptions(screen.getByLabelText('Serial console'), 'off')
  expect(draft().interfaces).toEqual({ i2c: true, serialConsole: false })
  await user.selectOptions(screen.getByLabelText('I2C'), '')
  await user.selectOptions(screen.getByLabelText('Serial console'), '')
  expect(draft().interfaces).toBeUndefined()
})

it("shows core's problem at its interface", () => {
  render(<Harness errors={{ 'interfaces.serialConsole': 'a serial console needs the serial port' }} />)
  const select = screen.getByLabelText('Serial console')
  expect(select.getAttribute('aria-invalid')).toBe('true')
  expect(document.getElementById(select.getAttribute('aria-describedby')!)?.textContent).toBe('a serial console needs the serial port')
})
