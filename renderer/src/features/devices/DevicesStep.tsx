/** The Devices step. Its working UI arrives with the issue that builds this part. */
export function DevicesStep() {
  return (
    <section aria-label="Devices step">
      <p>Each device gets its own variables and its own startup scripts, written to its card after flashing.</p>
    </section>
  )
}
