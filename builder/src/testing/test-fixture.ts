/**
 * For tests: the cached fixture image per arch, built on first use. The returned file is shared by
 * every test and run: read it, or copy it before writing.
 */
import fs from 'node:fs'
import { fixtureCachePath } from '../fixture/cache'
import { ensureFixture } from '../fixture/fixture'
import { fixtureEnvironmentProblem } from '../fixture/host'
import { FIXTURE_ARCHES, type FixtureArch } from '../fixture/spec'
import { aptUnavailableReason } from './network'

const pending = new Map<FixtureArch, Promise<string>>()

export function testFixture(arch: FixtureArch): Promise<string> {
  let fixture = pending.get(arch)
  if (!fixture) {
    const onProgress = process.env.ORCHARD_FIXTURE_VERBOSE ? (line: string) => console.log(`[fixture ${arch}] ${line}`) : undefined
    fixture = ensureFixture({ arch, onProgress }).then((result) => result.path)
    // A failed build may be retried by the next caller.
    fixture.catch(() => pending.delete(arch))
    pending.set(arch, fixture)
  }
  return fixture
}

/** Why fixtures (for `arch`, or all arches) cannot be had here, or null; cached images need no root or network. */
export function fixtureUnavailableReason(arch?: FixtureArch): string | null {
  for (const a of arch ? [arch] : FIXTURE_ARCHES) {
    if (fs.existsSync(fixtureCachePath(a))) continue
    const problem = fixtureEnvironmentProblem(a) ?? aptUnavailableReason()
    if (problem) return `${a} fixture image is not cached and cannot be built: ${problem}`
  }
  return null
}
