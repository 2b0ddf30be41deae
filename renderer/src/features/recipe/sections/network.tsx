/** Wifi and static addresses. */
import { getAt } from '../draft'
import { CheckboxField, ListField, TextField, useForm } from '../form'
import { SecretField } from '../SecretField'

export function WifiFields() {
  const form = useForm()
  const enabled = getAt(form.data, 'wifi') !== undefined
  const ssid = String(getAt(form.data, 'wifi.ssid') ?? '')
  return (
    <>
      <div className="field checkbox">
        <input id="wifi-enable" type="checkbox" checked={enabled} onChange={(event) => form.set('wifi', event.target.checked ? { ssid: '', country: '' } : undefined)} />
        <label htmlFor="wifi-enable">Configure wifi</label>
      </div>
      {enabled && (
        <>
          <TextField
            path="wifi.ssid"
            label="Network name (SSID)"
            onChange={(value) => {
              // The PSK is derived from the SSID: a new name needs the passphrase again.
              form.set('wifi.ssid', value)
              if (getAt(form.data, 'wifi.psk')) form.set('wifi.psk', undefined)
            }}
          />
          <SecretField
            path="wifi.psk"
            label="Wifi passphrase"
            sealedLabel="Passphrase set (stored as its WPA key)."
            seal={(passphrase) => (ssid ? { kind: 'wifi', ssid, passphrase } : 'Type the network name first: the key is derived from it')}
          />
          <TextField path="wifi.country" label="Wifi country" hint="Two capital letters, e.g. GB" />
          <CheckboxField path="wifi.hidden" label="Hidden network" />
        </>
      )}
    </>
  )
}

export function StaticNetworkFields() {
  const form = useForm()
  const network = (getAt(form.data, 'network') ?? {}) as Record<string, unknown>
  const names = Object.keys(network)
  const rename = (from: string, to: string) =>
    form.set('network', Object.fromEntries(Object.entries(network).map(([name, value]) => [name === from ? to : name, value])))
  return (
    <>
      <p className="hint">Interfaces not listed use DHCP. A device's STATIC_IP (Devices step) overrides these.</p>
      {names.map((name, index) => (
        <fieldset key={index} className="item" aria-label={`Interface ${index + 1}`}>
          <legend>Interface {index + 1}</legend>
          <div className="field">
            <label htmlFor={`iface-${index}`}>Interface name</label>
            <input id={`iface-${index}`} value={name} onChange={(event) => rename(name, event.target.value)} />
            {form.errors(`network.${name}`).map((error) => <p key={error} className="field-error">{error}</p>)}
          </div>
          <TextField path={`network.${name}.address`} label="Address with prefix" placeholder="192.168.1.50/24" />
          <TextField path={`network.${name}.gateway`} label="Gateway" />
          <ListField path={`network.${name}.dns`} label="DNS servers" />
          <button type="button" onClick={() => form.set('network', Object.fromEntries(Object.entries(network).filter(([n]) => n !== name)))}>
            Remove interface {index + 1}
          </button>
        </fieldset>
      ))}
      <button type="button" onClick={() => form.set('network', { ...network, [names.includes('eth0') ? `eth${names.length}` : 'eth0']: { address: '' } })}>
        Add interface
      </button>
    </>
  )
}
