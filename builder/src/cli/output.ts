/**
 * How the CLI speaks: a progress bar on a terminal, plain lines otherwise, JSON lines
 * with --json; and the exit code for each kind of failure (documented in docs/cli.md).
 */
import { formatBytes } from '../util/bytes'
import { BuildError, type BuildErrorCode } from '../util/errors'

export const EXIT = {
  ok: 0,
  failed: 1, // the work failed for a reason not listed below
  usage: 2, // bad arguments, an invalid recipe, a file that is not there
  source: 3, // the source or image is wrong: checksum mismatch, not a disk image, download failed, an unsigned or badly signed cloud build
  unwritable: 4, // the output cannot be written
  refused: 5, // a flash destination was refused before anything was written
  cloud: 6, // AWS: no or expired credentials, access denied, wrong region, missing stack bucket, S3 failure
  cancelled: 130,
} as const

const EXIT_BY_CODE: Record<BuildErrorCode, number> = {
  INVALID_RECIPE: EXIT.usage,
  NOT_FOUND: EXIT.usage,
  INVALID_INPUT: EXIT.usage,
  FORBIDDEN: EXIT.usage,
  CHECKSUM_MISMATCH: EXIT.source,
  UNTRUSTED_BUILD: EXIT.source,
  INVALID_SOURCE: EXIT.source,
  INVALID_IMAGE: EXIT.source,
  DOWNLOAD_FAILED: EXIT.source,
  UNWRITABLE: EXIT.unwritable,
  UNSAFE_TARGET: EXIT.refused,
  STEP_FAILED: EXIT.failed,
  BOOT_PARTITION_FULL: EXIT.failed,
  UNAVAILABLE: EXIT.failed,
  CLOUD_AUTH: EXIT.cloud,
  CLOUD_ACCESS_DENIED: EXIT.cloud,
  CLOUD_NOT_FOUND: EXIT.cloud,
  CLOUD_WRONG_REGION: EXIT.cloud,
  CLOUD_FAILED: EXIT.cloud,
  CANCELLED: EXIT.cancelled,
}

/** Whether `code` is one of the builder's error codes (a remote build's error line starts with one). */
export function isBuildErrorCode(code: string): code is BuildErrorCode {
  return Object.hasOwn(EXIT_BY_CODE, code)
}

export function exitCodeFor(error: unknown): number {
  return error instanceof BuildError ? EXIT_BY_CODE[error.code] : EXIT.failed
}

/**
 * A signal that Ctrl+C or SIGTERM (`docker stop` of the builder container, a supervisor)
 * aborts, so the work cancels and cleans up (mounts, temp files, partial outputs) and the
 * CLI exits 130. `release` stops listening.
 */
export function cancelOnSignals(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController()
  const cancel = () => controller.abort()
  process.once('SIGINT', cancel)
  process.once('SIGTERM', cancel)
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', cancel)
      process.off('SIGTERM', cancel)
    },
  }
}

export interface Reporter {
  /** `note`: shown after the bar on a terminal (speed, time left). */
  progress(phase: string, message: string, fraction?: number, bytes?: number, total?: number, note?: string): void
  line(text: string): void
  result(value: unknown, human: () => string): void
  error(error: unknown): void
}

export function createReporter(json: boolean, stream: NodeJS.WriteStream = process.stderr): Reporter {
  const tty = !json && stream.isTTY === true
  let barShown = false
  let lastPlain = ''
  const clearBar = () => {
    if (barShown) stream.write('\r\x1b[2K')
    barShown = false
  }
  return {
    progress(phase, message, fraction, bytes, total, note) {
      if (json) {
        process.stdout.write(`${JSON.stringify({ type: 'progress', phase, message, fraction, bytes, total })}\n`)
      } else if (tty && fraction !== undefined) {
        const width = 30
        const filled = Math.round(Math.min(1, fraction) * width)
        const size = bytes !== undefined && total ? ` ${formatBytes(bytes)}/${formatBytes(total)}` : ''
        stream.write(`\r\x1b[2K${phase.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(fraction * 100)}%${size}${note ? ` ${note}` : ''}`)
        barShown = true
      } else {
        // Plain output: one line per message, and byte progress only every 25%.
        const key = fraction === undefined ? message : `${phase}:${Math.floor(fraction * 4)}`
        if (key === lastPlain) return
        lastPlain = key
        clearBar()
        stream.write(`${phase}: ${message}${fraction !== undefined ? ` ${Math.floor(fraction * 100)}%` : ''}\n`)
      }
    },
    line(text) {
      if (json) return
      clearBar()
      stream.write(`${text}\n`)
    },
    result(value, human) {
      clearBar()
      if (json) process.stdout.write(`${JSON.stringify({ type: 'result', ...(value as object) })}\n`)
      else process.stdout.write(`${human()}\n`)
    },
    error(error) {
      clearBar()
      const message = error instanceof Error ? error.message : String(error)
      if (json) {
        const code = error instanceof BuildError ? error.code : 'INTERNAL'
        const detail = error instanceof BuildError ? error.detail : undefined
        process.stdout.write(`${JSON.stringify({ type: 'error', code, message, detail })}\n`)
      } else {
        stream.write(`orchard: ${message}\n`)
      }
    },
  }
}
