/** The customisations that run ARM code in the image: upgrade, Docker Engine, packages, shell steps, a Dockerfile. */
import { CheckboxField, ListField, TextAreaField, TextField } from '../form'
import { ItemList } from '../ItemList'

export const UpgradeFields = () => <CheckboxField path="upgrade" label="Upgrade every installed package (apt-get full-upgrade)" />

export const DockerEngineFields = () => <CheckboxField path="docker" label="Install Docker" />

export const PackagesFields = () => <ListField path="packages" label="Packages" hint="Debian package names, separated by commas or spaces" />

export const ShellStepsFields = () => (
  <>
    <ItemList path="steps" item="Step" blank={() => ({ name: '', run: '' })}>
      {(index) => (
        <>
          <TextField path={`steps.${index}.name`} label="Step name" />
          <TextAreaField path={`steps.${index}.run`} label="Shell commands" />
        </>
      )}
    </ItemList>
  </>
)

export const DockerfileFields = () => <TextField path="dockerfile" label="Dockerfile" hint="Your own Dockerfile, FROM the source image" />
