/** Users and SSH. */
import { getAt } from '../draft'
import { CheckboxField, ListField, TextField, useForm } from '../form'
import { ItemList } from '../ItemList'
import { SecretField } from '../SecretField'

export const UsersFields = () => (
  <>
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
  </>
)

export function SshFields() {
  const form = useForm()
  const enabled = getAt(form.data, 'ssh') !== undefined
  return (
    <>
      <div className="field checkbox">
        <input id="ssh-enable" type="checkbox" checked={enabled} onChange={(event) => form.set('ssh', event.target.checked ? { enable: true, passwordAuth: false } : undefined)} />
        <label htmlFor="ssh-enable">Enable SSH</label>
        {enabled && <CheckboxField path="ssh.passwordAuth" label="Allow password login over SSH" hint="Off: keys only" />}
      </div>
    </>
  )
}
