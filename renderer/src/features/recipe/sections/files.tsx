/** Files placed in the image, and the recipe's own startup scripts. */
import { ListField, SelectField, TextAreaField, TextField } from '../form'
import { ItemList } from '../ItemList'

export const FilesFields = () => (
  <>
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
  </>
)

export const StartupScriptsFields = () => (
  <>
    <ListField path="firstBoot" label="First-boot scripts" separator="lines" hint="Files next to the recipe, run once at first boot" />
    <ListField path="startupScripts.runOnce" label="Run-once scripts" separator="lines" />
    <ListField path="startupScripts.everyTime" label="Every-boot scripts" separator="lines" />
    <ListField path="startupScripts.resources" label="Script resources" separator="lines" />
  </>
)
