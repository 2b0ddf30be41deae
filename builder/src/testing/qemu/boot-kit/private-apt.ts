/** apt with its own state: arm64 package lists for the suite, whatever the host's apt knows. */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { runTool } from './host-tools'

/** The fixture's suite: kernel and userland come from the same release. */
export const SUITE = 'bookworm'
export const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'
const SOURCES = [
  `deb [signed-by=${KEYRING}] http://deb.debian.org/debian ${SUITE} main`,
  `deb [signed-by=${KEYRING}] http://deb.debian.org/debian ${SUITE}-updates main`,
  `deb [signed-by=${KEYRING}] http://deb.debian.org/debian-security ${SUITE}-security main`,
]

export class PrivateApt {
  constructor(private readonly dir: string) {}

  private options(): string[] {
    const o = (key: string, value: string): string[] => ['-o', `${key}=${value}`]
    return [
      '-q',
      ...o('APT::Architecture', 'arm64'),
      ...o('APT::Architectures', 'arm64'),
      ...o('Dir::State::Lists', path.join(this.dir, 'lists')),
      ...o('Dir::State::status', path.join(this.dir, 'status')),
      ...o('Dir::Cache', path.join(this.dir, 'cache')),
      ...o('Dir::Etc::SourceList', path.join(this.dir, 'sources.list')),
      ...o('Dir::Etc::SourceParts', path.join(this.dir, 'sources.list.d')),
      ...o('Dir::Etc::Preferences', path.join(this.dir, 'preferences')),
      ...o('Dir::Etc::PreferencesParts', path.join(this.dir, 'preferences.d')),
      // Downloads land in our own folders, which the _apt user may not reach.
      ...(process.getuid?.() === 0 ? o('APT::Sandbox::User', 'root') : []),
      ...o('Debug::NoLocking', '1'),
    ]
  }

  async update(): Promise<void> {
    for (const sub of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'preferences.d']) {
      await fsp.mkdir(path.join(this.dir, sub), { recursive: true })
    }
    await fsp.writeFile(path.join(this.dir, 'sources.list'), `${SOURCES.join('\n')}\n`)
    if (!fs.existsSync(path.join(this.dir, 'status'))) await fsp.writeFile(path.join(this.dir, 'status'), '')
    await runTool('apt-get', [...this.options(), 'update'], { label: `apt-get update (${SUITE} arm64)` })
  }

  /** The candidate's control fields (`apt-cache show --no-all-versions`). */
  async show(pkg: string): Promise<Record<string, string>> {
    const text = await runTool('apt-cache', [...this.options(), 'show', '--no-all-versions', pkg], { label: `apt-cache show ${pkg}` })
    const fields: Record<string, string> = {}
    for (const match of text.matchAll(/^([A-Za-z-]+): (.*)$/gm)) fields[match[1] ?? ''] = match[2] ?? ''
    return fields
  }

  async download(specs: string[], into: string): Promise<void> {
    await runTool('apt-get', [...this.options(), 'download', ...specs], { cwd: into, label: `apt-get download ${specs.join(' ')}` })
  }
}
