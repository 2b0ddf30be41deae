/**
 * Builds the release matrix's bootable fixtures (fixture/release-specs.ts) into the cache when
 * they are missing. `npm test` starts it in the background as the suites begin and waits for it
 * before the boot suite: cold, the three debootstraps take 15–25 minutes, most of which then
 * overlaps the other suites instead of adding to them. Cached, it returns in a second.
 */
import { fixtureEnvironmentProblem } from '../builder/src/fixture/host'
import { RELEASE_FIXTURES } from '../builder/src/fixture/release-specs'
import { bootableReleaseFixture } from '../builder/src/testing/qemu/bootable-fixture'
import { bootEnvironmentProblem } from '../builder/src/testing/qemu/qemu'

const started = Date.now()
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`
const problem = bootEnvironmentProblem() ?? (process.getuid?.() !== 0 ? 'needs root' : null) ?? fixtureEnvironmentProblem()
if (problem) {
  console.log(`[warm] not building the release fixtures: ${problem} (the boot suite says so too)`)
} else {
  const results = await Promise.allSettled(
    RELEASE_FIXTURES.map((name) => bootableReleaseFixture(name, { onProgress: (line) => console.log(`[warm ${name} ${elapsed()}] ${line}`) })),
  )
  results.forEach((result, index) =>
    console.log(`[warm] ${RELEASE_FIXTURES[index]}: ${result.status === 'fulfilled' ? result.value : `FAILED: ${String(result.reason)}`}`),
  )
  console.log(`[warm] done in ${elapsed()}`)
  // A failure is the boot suite's to report (it tries again and says why): never fail npm test from here.
}
