/** Raspberry Pi interfaces: each one on, off, or left as the image has it (a tri-state, so not a checkbox). */
import { useId } from 'react'
import { getAt } from '../draft'
import { describedBy, Field, useForm } from '../form'

const INTERFACES = [
  { key: 'i2c', label: 'I2C' },
  { key: 'spi', label: 'SPI' },
  { key: 'serialPort', label: 'Serial port (UART)' },
  { key: 'serialConsole', label: 'Serial console' },
  { key: 'onewire', label: '1-Wire' },
  { key: 'usbGadget', label: 'USB gadget (Ethernet over USB)' },
]

function InterfaceChoice({ name, label }: { name: string; label: string }) {
  const form = useForm()
  const id = useId()
  const path = `interfaces.${name}`
  const value = getAt(form.data, path)
  const errors = form.errors(path)
  const choose = (choice: string) => {
    const next = { ...((getAt(form.data, 'interfaces') ?? {}) as object), [name]: choice === '' ? undefined : choice === 'on' }
    form.set('interfaces', Object.values(next).some((setting) => setting !== undefined) ? next : undefined)
  }
  return (
    <Field id={id} label={label} errors={errors}>
      <select id={id} value={value === undefined ? '' : value ? 'on' : 'off'} onChange={(event) => choose(event.target.value)} aria-invalid={errors.length > 0} aria-describedby={describedBy(id, undefined, errors)}>
        <option value="">as the image has it</option>
        <option value="on">on</option>
        <option value="off">off</option>
      </select>
    </Field>
  )
}

export const InterfacesFields = () => (
  <>
    {INTERFACES.map(({ key, label }) => (
      <InterfaceChoice key={key} name={key} label={label} />
    ))}
  </>
)
