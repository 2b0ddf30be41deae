/** The Recipe step. Its working UI arrives with the issue that builds this part. */
export function RecipeStep() {
  return (
    <section aria-label="Recipe step">
      <p>A recipe names a verified source image (URL or file with its SHA256) and the customizations: users, SSH keys, wifi, hostname, locale, static IP, packages, Docker, shell steps, files and first-boot scripts. It is saved as YAML.</p>
    </section>
  )
}
