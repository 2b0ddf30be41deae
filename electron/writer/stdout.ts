/**
 * stdout carries the protocol and nothing else: whatever else would print there (a stray
 * console.log, a library) goes to stderr. The entry imports this first, before anything
 * that could print. A parent that is gone (EPIPE) ends the writer.
 */
const protocolWrite = process.stdout.write.bind(process.stdout)
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write
process.stdout.on('error', () => process.exit(1))

export function writeProtocolLine(line: string): void {
  protocolWrite(line)
}
