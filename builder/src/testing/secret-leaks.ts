/**
 * Where a customisation's secrets would show in clear text: its example recipe run through
 * every consumer (sealing, first-boot files for each release shape (testing/release-shapes.ts:
 * first_run_setup.sh, cloud-init's user-data, network-config and meta-data, userconf.txt), build info, the
 * recipe's fingerprint, the redacted status/log the cloud publishes). Used by
 * features/secrets.test.ts, and proven by a deliberately leaky feature there.
 */
import { redactText } from '../cloud/redact'
import { nativeBootFiles } from '../customize/boot-files'
import { buildInfoSource, buildInfoText, describeCustomizations } from '../customize/buildinfo'
import { firstRunScript } from '../customize/first-run'
import { parseRecipe } from '../recipe/load'
import { sealRecipe, secretValues, withoutSecrets } from '../recipe/secrets'
import { canonicalJson } from '../util/hash'
import { RELEASE_SHAPES } from './release-shapes'


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
    const bootFiles = nativeBootFiles(sealed, traits, 'f'.repeat(64))
    // cloud-init's seed must be among what is checked where it exists, or this check proves nothing for it.
    if (traits.firstBoot === 'cloud-init' && !bootFiles.some((file) => file.path === '/meta-data')) leaks.push(`no cloud-init seed was generated for ${traits.release}`)
    for (const file of bootFiles) check(`${file.path} (${traits.release})`, file.content, typed)
    deviceText.push(script, ...bootFiles.map((file) => file.content))
  }
  // The worst log a build can write: everything above printed by a step. What the cloud publishes is it redacted.
  const log = [...customizations, ...deviceText, JSON.stringify(sealed)].join('\n').split('\n')
  check('status.json and build.log (redacted)', log.map((line) => redactText(line, secretValues(sealed))).join('\n'), every)
  return leaks
}
