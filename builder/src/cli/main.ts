/**
 * `orchard`: the headless face of the builder, for CI and scripts.
 * Exit codes (docs/cli.md): 0 ok, 1 failed, 2 usage or invalid recipe, 3 bad source or
 * image, 4 output not writable, 5 flash destination refused, 6 AWS, 130 cancelled.
 */
import { Command, CommanderError } from 'commander'
import { registerFactoryCommand } from './factory-command'
import { registerFixtureCommand } from './fixture-command'
import { registerFlashCommand } from './flash-command'
import { BUILDER_VERSION } from '../util/version'
import { registerBuildCommand } from './build-command'
import { registerCardCommand } from './card-command'
import { registerCatalogCommand } from './catalog-command'
import { registerCloudCommand } from './cloud-command'
import { registerDemoCommand } from './demo-command'
import { registerDiffCommand } from './diff-command'
import { registerInspectCommand } from './inspect-command'
import { EXIT } from './output'
import { registerRecipeCommand } from './recipe-command'
import { registerRebuildCommand } from './rebuild-command'

const program = new Command('orchard')
  .description('Build customized Raspberry Pi OS images, give every device its own startup scripts, flash many cards.')
  .version(BUILDER_VERSION, '-v, --version')
  .showHelpAfterError()
  .exitOverride()

registerBuildCommand(program)
registerInspectCommand(program)
registerDiffCommand(program)
registerRebuildCommand(program)
registerRecipeCommand(program)
registerCatalogCommand(program)
registerFixtureCommand(program)
registerFlashCommand(program)
registerFactoryCommand(program)
registerCardCommand(program)
registerDemoCommand(program)
registerCloudCommand(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (!(error instanceof CommanderError)) throw error
  process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage
}
