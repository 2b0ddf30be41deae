/** Redaction of what a build says before it leaves the build: no secret reaches a status object or a log. */

/** Lines kept in a status, and the longest line kept. */
export const STATUS_LINES = 20
export const STATUS_LINE_LENGTH = 400

const CRYPT_HASH = /\$(6|5|y|gy|2[aby])\$[^\s:'"]+/g
const PSK_ASSIGNMENT = /(psk\s*[=:]\s*"?)[a-f0-9]{64}/gi

/**
 * Pure: lines fit for a status object: the last STATUS_LINES, each cut to STATUS_LINE_LENGTH,
 * with every given secret, every crypt hash and every `psk=<hex>` replaced by <redacted>.
 */
export function redactLines(lines: readonly string[], secrets: readonly string[] = []): string[] {
  return lines.slice(-STATUS_LINES).map((line) => {
    const out = redactText(line, secrets)
    return out.length > STATUS_LINE_LENGTH ? `${out.slice(0, STATUS_LINE_LENGTH - 1)}…` : out
  })
}

/** Pure: `text` with every given secret, every crypt hash and every `psk=<hex>` replaced by <redacted> (whole, not cut). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text
  for (const secret of secrets.filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(secret).join('<redacted>')
  return out.replace(CRYPT_HASH, '<redacted>').replace(PSK_ASSIGNMENT, '$1<redacted>')
}
