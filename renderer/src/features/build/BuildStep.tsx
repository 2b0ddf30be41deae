/** The Build step. Its working UI arrives with the issue that builds this part. */
export function BuildStep() {
  return (
    <section aria-label="Build step">
      <p>Builds the customized image from the recipe: quick (in-process), in local Docker, or in your AWS account.</p>
    </section>
  )
}
