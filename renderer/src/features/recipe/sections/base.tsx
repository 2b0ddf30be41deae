/** The recipe form's sections, one per part of the recipe (docs/recipe.md). */
import { getAt } from './draft'
import { CheckboxField, ListField, SelectField, TextAreaField, TextField, useForm } from './form'
import { ItemList } from './ItemList'
import { SecretField } from './SecretField'
import { SourcePicker } from './SourcePicker'

export function BasicsSection() {
  return (
    <section aria-labelledby="recipe-basics">
      <h3 id="recipe-basics">Image</h3>
      <TextField path="name" label="Recipe name" hint="Names the output files: letters, digits, “.”, “_”, “-”" />
      <TextField path="description" label="Description" />
      <SelectField path="arch" label="Architecture" options={[{ value: 'arm64', label: 'arm64 (64-bit)' }, { value: 'armhf', label: 'armhf (32-bit)' }]} />
      <SourcePicker />
    </section>
  )
}

export function SystemSection() {
  return (
    <section aria-labelledby="recipe-system">
      <h3 id="recipe-system">System</h3>
      <TextField path="system.hostname" label="Hostname" hint="e.g. sensor-{{serial}}; a device's own hostname (Devices step) overrides it" />
      <TextField path="system.timezone" label="Time zone" placeholder="Europe/London" />
      <TextField path="system.locale" label="Locale" placeholder="en_GB.UTF-8" />
      <TextField path="system.keyboard" label="Keyboard layout" placeholder="gb" />
    </section>
  )
}

export function UsersSection() {
  return (
    <section aria-labelledby="recipe-users">
      <h3 id="recipe-users">Users and SSH</h3>
      <ItemList path="users" item="User" blank={() => ({ name: '', sudo: false })}>
        {(index) => (
          <>
            <TextField path={`users.${index}.name`} label="User name" />
            <SecretField path={`users.${index}.passwordHash`} label="Password" sealedLabel="Password set (stored as a sha512crypt hash)." seal={(password) => ({ kind: 'password', password })} />
            <CheckboxField path={`users.${index}.sudo`} label="May use sudo" />
            <ListField path={`users.${index}.groups`} label="Groups" hint="Separated by commas or spaces" />
            <ListField path={`users.${index}.sshKeys`} label="SSH public keys" separator="lines" hint="One per line (ssh-ed25519 AAAA… comment)" />
          </>
        )}
      </ItemList>
      <SshFields />
    </section>
  )
}

function SshFields() {
  const form = useForm()
  const enabled = getAt(form.data, 'ssh') !== undefined
  return (
    <div className="field checkbox">
      <input id="ssh-enable" type="checkbox" checked={enabled} onChange={(event) => form.set('ssh', event.target.checked ? { enable: true, passwordAuth: false } : undefined)} />
      <label htmlFor="ssh-enable">Enable SSH</label>
      {enabled && <CheckboxField path="ssh.passwordAuth" label="Allow password login over SSH" hint="Off: keys only" />}
    </div>
  )
}

export function WifiSection() {
  const form = useForm()
  const enabled = getAt(form.data, 'wifi') !== undefined
  const ssid = String(getAt(form.data, 'wifi.ssid') ?? '')
  return (
    <section aria-labelledby="recipe-wifi">
      <h3 id="recipe-wifi">Wifi</h3>
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
    </section>
  )
}

export function NetworkSection() {
  const form = useForm()
  const network = (getAt(form.data, 'network') ?? {}) as Record<string, unknown>
  const names = Object.keys(network)
  const rename = (from: string, to: string) =>
    form.set('network', Object.fromEntries(Object.entries(network).map(([name, value]) => [name === from ? to : name, value])))
  return (
    <section aria-labelledby="recipe-network">
      <h3 id="recipe-network">Static addresses</h3>
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
    </section>
  )
}

export function FilesSection() {
  return (
    <section aria-labelledby="recipe-files">
      <h3 id="recipe-files">Files and startup scripts</h3>
      <ItemList path="files" item="File" blank={() => ({ target: '', content: '' })}>
        {(index) => (
          <>
            <TextField path={`files.${index}.target`} label="Target path in the image" placeholder="/etc/motd" />
            <SelectField path={`files.${index}.partition`} label="Partition" options={[{ value: 'root', label: 'root' }, { value: 'boot', label: 'boot' }]} />
            <TextAreaField path={`files.${index}.content`} label="Content" />
            <TextField path={`files.${index}.source`} label="Or copy from file" hint="Instead of content: a file next to the recipe" />
            <TextField path={`files.${index}.mode`} label="Mode" placeholder="0644" />
            <TextField path={`files.${index}.owner`} label="Owner (uid:gid)" placeholder="0:0" />
          </>
        )}
      </ItemList>
      <ListField path="firstBoot" label="First-boot scripts" separator="lines" hint="Files next to the recipe, run once at first boot" />
      <ListField path="startupScripts.runOnce" label="Run-once scripts" separator="lines" />
      <ListField path="startupScripts.everyTime" label="Every-boot scripts" separator="lines" />
      <ListField path="startupScripts.resources" label="Script resources" separator="lines" />
    </section>
  )
}

export function FullBuildSection() {
  return (
    <section aria-labelledby="recipe-full">
      <h3 id="recipe-full">Full build (needs ARM emulation)</h3>
      <ListField path="packages" label="Packages" hint="Debian package names, separated by commas or spaces" />
      <CheckboxField path="docker" label="Install Docker" />
      <ItemList path="steps" item="Step" blank={() => ({ name: '', run: '' })}>
        {(index) => (
          <>
            <TextField path={`steps.${index}.name`} label="Step name" />
            <TextAreaField path={`steps.${index}.run`} label="Shell commands" />
          </>
        )}
      </ItemList>
      <TextField path="dockerfile" label="Dockerfile" hint="Your own Dockerfile, FROM the source image" />
    </section>
  )
}

export function OutputsSection() {
  return (
    <section aria-labelledby="recipe-outputs">
      <h3 id="recipe-outputs">Outputs</h3>
      <SelectField path="outputs.image.compress" label="Compression" options={[{ value: 'none', label: 'none (.img)' }, { value: 'xz', label: 'xz (.img and .img.xz)' }]} />
      <TextField path="outputs.docker.tag" label="Docker image tag" hint="Full build: the root filesystem as a Docker image" />
      <TextField path="outputs.docker.registry" label="Docker registry" />
    </section>
  )
}
