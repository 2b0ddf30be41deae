/**
 * The packages installed in a built root fs with their exact versions, for build info
 * (docs/reproducible.md): read from dpkg's own database, /var/lib/dpkg/status, the file
 * `dpkg-query -W` reads, parsed here so that every build mode on every OS can do it
 * without running ARM code.
 */
import { extReadText, type ExtFs } from '../image/ext'

export const DPKG_STATUS = '/var/lib/dpkg/status'

/** `name:arch` → version for every package dpkg calls installed, sorted by name; null without a dpkg database. */
export async function installedPackages(fs: ExtFs): Promise<Record<string, string> | null> {
  const text = await extReadText(fs, DPKG_STATUS)
  return text === null ? null : parseDpkgStatus(text)
}

/** dpkg's status file is deb822: paragraphs of `Field: value`, continuation lines start with a space. */
export function parseDpkgStatus(text: string): Record<string, string> {
  const found: [string, string][] = []
  for (const paragraph of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(paragraph)?.[1]?.trim()
    const name = field('Package')
    const version = field('Version')
    // "install ok installed" (and "hold ok installed"): the last word is the state.
    if (!name || !version || !/\sinstalled$/.test(field('Status') ?? '')) continue
    found.push([`${name}:${field('Architecture') ?? 'all'}`, version])
  }
  return Object.fromEntries(found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
