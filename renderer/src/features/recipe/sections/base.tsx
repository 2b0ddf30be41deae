/** The recipe fields that belong to no customisation: what the image is, and what the build writes. */
import { SelectField, TextField } from '../form'
import { SourcePicker } from '../SourcePicker'

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
