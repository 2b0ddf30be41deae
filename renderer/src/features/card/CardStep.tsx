/** The Card step. Its working UI arrives with the issue that builds this part. */
export function CardStep() {
  return (
    <section aria-label="Card step">
      <p>Open an already-flashed card to edit its startup scripts and read its logs.</p>
    </section>
  )
}
