/**
 * The writer process: flashes drives and edits cards on drives on core's behalf, elevated
 * when the OS requires it for raw disks (everything else stays unelevated in core). Jobs
 * arrive as JSON lines on stdin and progress and results leave on stdout (or both over a
 * socket with --connect); when the channel closes the writer exits, a running job with it.
 * Usage: args.ts.
 */
import './stdout'

// Loaded only now, once stdout is kept for the protocol: in a bundle a static import could run first.
import('./main')
  .then(({ main }) => main())
  .catch((error: unknown) => {
    console.error(`writer: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  })
