/**
 * The everyday settings, Imager's set: hostname pattern, a user with password and SSH key,
 * wifi, locale. The Recipe step's own fields, bound to the same recipe paths, so core's
 * problems land at the field that has them and the result is an ordinary recipe.
 */
import { SshFields } from '../recipe/sections/access'
import { WifiFields } from '../recipe/sections/network'
import { HostnameFields, LocaleFields } from '../recipe/sections/system'
import { ListField, TextField } from '../recipe/form'
import { SecretField } from '../recipe/SecretField'

export function QuickSettings() {
  return (
    <div className="quick-settings">
      <fieldset>
        <legend>Name</legend>
        <HostnameFields />
      </fieldset>
      <fieldset>
        <legend>User</legend>
        <TextField path="users.0.name" label="User name" hint="Gets sudo, like the first user Raspberry Pi OS makes" />
        <SecretField path="users.0.passwordHash" label="Password" sealedLabel="Password set (stored as a sha512crypt hash)." seal={(password) => ({ kind: 'password', password })} />
        <ListField path="users.0.sshKeys" label="SSH public keys" separator="lines" rows={2} hint="One per line (ssh-ed25519 AAAA… comment)" />
        <SshFields />
      </fieldset>
      <fieldset>
        <legend>Wifi</legend>
        <WifiFields />
      </fieldset>
      <fieldset>
        <legend>Locale</legend>
        <LocaleFields />
      </fieldset>
    </div>
  )
}
