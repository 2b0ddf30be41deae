/** Hostname and time zone / locale / keyboard: the features that share the recipe's `system:` section. */
import { TextField } from '../form'

export const HostnameFields = () => <TextField path="system.hostname" label="Hostname" hint="e.g. sensor-{{serial}}; a device's own hostname (Devices step) overrides it" />

export const LocaleFields = () => (
  <>
    <TextField path="system.timezone" label="Time zone" placeholder="Europe/London" />
    <TextField path="system.locale" label="Locale" placeholder="en_GB.UTF-8" />
    <TextField path="system.keyboard" label="Keyboard layout" placeholder="gb" />
  </>
)
