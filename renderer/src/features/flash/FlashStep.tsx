/** The Flash step. Its working UI arrives with the issue that builds this part. */
export function FlashStep() {
  return (
    <section aria-label="Flash step">
      <p>Flash many cards at once; each is verified, then receives its own device files.</p>
    </section>
  )
}
