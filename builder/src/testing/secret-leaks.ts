/**
 * Where a customisation's secrets would show in clear text: its example recipe run through
 * every consumer (sealing, first-boot files for each release shape, build info, the
 * recipe's fingerprint, the redacted status/log the cloud publishes). Used by
 * features/secrets.test.ts, and proven by a deliberately leaky feature there.
 */
import { redactText } from '../cloud/redact'
import { nativeBootFiles } from '../customize/boot-files'
import { buildInfoSource, buildInfoText, describeCustomizations } from '../customize/buildinfo'
import { firstRunScript } from '../customize/first-run'
import type { ReleaseTraits } from '../image/traits'
import { parseRecipe } from '../recipe/load'
import { sealRecipe, secretValues, withoutSecrets } from '../recipe/secrets'
import { canonicalJson } from '../util/hash'

const RELEASE_SHAPES: ReleaseTraits[] = [
  { release: 'NetworkManager, userconf, cloud-init', codename: 'trixie', arch: 'arm64', bootMount: '/boot/firmware', init: 'systemd', network: 'networkmanager', wpaSupplicant: true, cloudInit: true, userconfWizard: true, openssh: true },
  { release: 'dhcpcd, wpa_supplicant', codename: 'bullseye', arch: 'arm64', bootMount: '/boot', init: 'systemd', network: 'dhcpcd', wpaSupplicant: true, cloudInit: false, userconfWizard: true, openssh: true },
  { release: 'ifupdown, sysvinit', codename: 'bookworm', arch: 'arm64', bootMount: '/boot', init: 'sysvinit', network: 'ifupdown', wpaSupplicant: true, cloudInit: false, userconfWizard: false, openssh: false },
]

const SECRET_MARKER = '# orchard:secret'

/** Every place `example` (a recipe fragment) would show one of its secrets where it must not; [] when none. */
export function secretLeaks(example: Record<string, unknown>): string[] {
  const recipe = parseRecipe({ name: 'leak-check', source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) }, arch: 'arm64', ...example })
  const sealed = sealRecipe(recipe)
  const sealedForms = secretValues(sealed)
  // What the user typed that sealing replaces (a hash given as such is its own sealed form).
  const typed = secretValues(recipe).filter((value) => !sealedForms.includes(value))
  const every = [...typed, ...sealedForms]
  const leaks: string[] = []
  const check = (where: string, text: string, secrets: string[]) => {
    for (const secret of secrets) if (text.includes(secret)) leaks.push(`${where} shows "${secret}"`)
  }

  check('the sealed recipe', JSON.stringify(sealed), typed)
  const customizations = describeCustomizations(sealed)
  check('build info', buildInfoText({ name: recipe.name, builder: { name: 'orchard', version: '0' }, mode: 'quick', builtAt: '', source: buildInfoSource(recipe.source, recipe.source.path ?? '', recipe.source.sha256), recipeSha256: '', release: RELEASE_SHAPES[0]!, customizations }), every)
  check('build info (JSON)', JSON.stringify(customizations), every)
  check("the recipe's fingerprint", canonicalJson(withoutSecrets(recipe)) + canonicalJson(withoutSecrets(sealed)), every)

  const deviceText: string[] = []
  for (const traits of RELEASE_SHAPES) {
    const script = firstRunScript(sealed, traits, '0')
    check(`first_run_setup.sh (${traits.release})`, script, typed)
    for (const line of script.split('\n')) {
      // The runner scrubs marked lines once the script has run; an unmarked one stays on the card.
      if (sealedForms.some((secret) => line.includes(secret)) && !line.trimEnd().endsWith(SECRET_MARKER)) leaks.push(`first_run_setup.sh (${traits.release}) has an unmarked secret line: ${line}`)
    }
    for (const file of nativeBootFiles(sealed, traits)) check(`${file.path} (${traits.release})`, file.content, typed)
    deviceText.push(script, ...nativeBootFiles(sealed, traits).map((file) => file.content))
  }
  // The worst log a build can write: everything above printed by a step. What the cloud publishes is it redacted.
  const log = [...customizations, ...deviceText, JSON.stringify(sealed)].join('\n').split('\n')
  check('status.json and build.log (redacted)', log.map((line) => redactText(line, secretValues(sealed))).join('\n'), every)
  return leaks
}
