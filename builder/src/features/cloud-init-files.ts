/**
 * A user's own cloud-init `user-data` and `network-config` files, carried into the image's
 * cloud-init seed: checked (YAML, the `#cloud-config` header, netplan v2's shape,
 * cloud-init's own schema where this machine has cloud-init), merged with what the recipe
 * sets (customize/seed-merge.ts: a conflict names both sides), and written over the seed
 * files the build generated. Only where cloud-init applies the settings
 * (`traits.firstBoot === 'cloud-init'`): on any other release the files would reach
 * nobody, so the build refuses them. Like the generated seed, both are wiped from the card
 * once cloud-init holds them (the runner's seed scrub).
 */
import { z } from 'zod'
import { checkUserDataSchema } from '../customize/cloud-init-schema'
import { mergeNetworkConfig, mergeUserData, networkConfigText, parseNetworkConfig, parseUserData, userDataText } from '../customize/seed-merge'
import { RecipePath } from '../recipe/fields'
import type { SealedRecipe } from '../recipe/schema'
import { BuildError } from '../util/errors'
import { defineFeature } from './feature'

const CloudInitFiles = z
  .object({
    /** A `#cloud-config` file, merged into the seed's user-data. */
    userData: RecipePath.optional(),
    /** A netplan v2 file (`network: { version: 2, … }`), merged into the seed's network-config. */
    networkConfig: RecipePath.optional(),
  })
  .strict()
  .refine((files) => Boolean(files.userData || files.networkConfig), { message: 'name userData, networkConfig or both (or leave cloudInit out)', path: ['userData'] })

export const cloudInitFiles = defineFeature({
  id: 'cloud-init-files',
  title: "cloud-init's user-data and network-config files",
  schema: { cloudInit: CloudInitFiles.optional() },
  files: ({ cloudInit }) => [
    ...(cloudInit?.userData ? [{ field: 'cloudInit.userData', file: cloudInit.userData }] : []),
    ...(cloudInit?.networkConfig ? [{ field: 'cloudInit.networkConfig', file: cloudInit.networkConfig }] : []),
  ],
  // Parsing and merging need no image: `orchard recipe validate` and the app's form report them.
  checkFiles: async (recipe, read) => {
    await mergedSeed(recipe as unknown as SealedRecipe, read)
  },
  // After the generated seed is on the card (customize.ts writes it before any writeBoot).
  writeBoot: async (recipe, fat, { traits, readRecipeFile, onStep }) => {
    const { cloudInit } = recipe
    if (!cloudInit) return
    const named = [cloudInit.userData && 'cloudInit.userData', cloudInit.networkConfig && 'cloudInit.networkConfig'].filter(Boolean).join(' and ')
    if (traits.firstBoot !== 'cloud-init') {
      throw new BuildError(
        'INVALID_RECIPE',
        `${named}: this image (${traits.release}, shape ${traits.shape}) has no cloud-init seeded from its boot partition, so the files would reach nobody. ` +
          "Give the same settings as recipe fields (users, ssh, wifi, system …): they land in this release's own first-boot files (docs/releases.md).",
        { problems: [{ path: named.split(' ')[0], message: `needs a release whose settings cloud-init applies (shape trixie-cloud-init); this image is ${traits.shape}` }] },
      )
    }
    // Every hook gets the whole sealed recipe (registry.ts); merging reads every feature's part of it.
    const whole = recipe as unknown as SealedRecipe
    const { userData, networkConfig } = await mergedSeed(whole, readRecipeFile)
    if (userData) {
      const label = `cloudInit.userData (${cloudInit.userData})`
      // Imported here: recipe/secrets.ts reads the registry as it loads, and the registry loads this module.
      const { secretValues } = await import('../recipe/secrets')
      onStep(await checkUserDataSchema(userData, label, secretValues(whole)))
      await fat.writeFile('/user-data', userData)
      onStep(`cloud-init: ${cloudInit.userData} merged into user-data`)
    }
    if (networkConfig) {
      await fat.writeFile('/network-config', networkConfig)
      onStep(`cloud-init: ${cloudInit.networkConfig} merged into network-config`)
    }
  },
  describe: ({ cloudInit }) =>
    cloudInit ? [[cloudInit.userData && `user-data from ${cloudInit.userData}`, cloudInit.networkConfig && `network-config from ${cloudInit.networkConfig}`].filter(Boolean).join(', ') + ', merged with the recipe'] : [],
  example: { cloudInit: { userData: 'cloud-init/user-data.yaml', networkConfig: 'cloud-init/network-config.yaml' } },
})

/** The seed files' text with the user's files merged in (null for one the recipe does not name); INVALID_RECIPE on any problem. */
async function mergedSeed(recipe: SealedRecipe, read: (file: string, field: string) => Promise<Buffer>): Promise<{ userData: string | null; networkConfig: string | null }> {
  const { cloudInit } = recipe
  let userData: string | null = null
  let networkConfig: string | null = null
  if (cloudInit?.userData) {
    const source = { field: 'cloudInit.userData', file: cloudInit.userData }
    userData = userDataText(mergeUserData(recipe, parseUserData((await read(source.file, source.field)).toString('utf8'), source), source), source.file)
  }
  if (cloudInit?.networkConfig) {
    const source = { field: 'cloudInit.networkConfig', file: cloudInit.networkConfig }
    networkConfig = networkConfigText(mergeNetworkConfig(recipe, parseNetworkConfig((await read(source.file, source.field)).toString('utf8'), source), source), source.file)
  }
  return { userData, networkConfig }
}
