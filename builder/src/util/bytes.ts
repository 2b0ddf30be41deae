/**
 * Sizes for people, in decimal units (1 GB = 10⁹ bytes): SD cards and drives are sold and
 * labelled that way, and macOS, Raspberry Pi Imager and `ls -h --si` count so too; an
 * "8 GB" card then reads about 8 GB here as well, never 7.5 of another unit.
 * No imports: the builder, electron core and the renderer all use this one file (the
 * layering rule lets every layer import it, and it nothing).
 */

const UNITS: readonly [unit: string, scale: number][] = [
  ['TB', 1e12],
  ['GB', 1e9],
  ['MB', 1e6],
  ['kB', 1e3],
]

/** 7948206080 → "7.9 GB" (`decimals` after the point); below 1 kB the exact count: "512 bytes". */
export function formatBytes(bytes: number, decimals = 1): string {
  for (const [index, [unit, scale]] of UNITS.entries()) {
    if (bytes < scale) continue
    // 999 960 bytes would round to "1000.0 kB": one unit up instead.
    const bigger = UNITS[index - 1]
    if (bigger && Number((bytes / scale).toFixed(decimals)) >= 1000) return `${(bytes / bigger[1]).toFixed(decimals)} ${bigger[0]}`
    return `${(bytes / scale).toFixed(decimals)} ${unit}`
  }
  return `${bytes} bytes`
}

/** 12_345_678 → "12.3 MB/s". */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`
}
