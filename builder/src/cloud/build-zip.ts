/**
 * build.zip: what a cloud build gets from this machine. It holds
 *   recipe.yml   the sealed recipe: passwords as crypt hashes, wifi as its PSK; paths rewritten
 *   build.json   the build's id, when it was packed, the builder version, every file's SHA256
 *   files/…      every file the recipe names that lies under the recipe's folder (same relative path)
 *   outside/<n>/<name>  every file it names outside that folder (the file name kept: it names
 *                startup scripts on the card)
 *   buildspec.yml        the CodeBuild buildspec (builder/buildspec.yml): CodeBuild runs it
 *   orchard-builder.tgz  the builder itself (client/builder-tarball.ts), so the cloud runs this version
 * No plaintext secret is written: the recipe is sealed before anything is packed.
 * Packed and uploaded by the app or CLI (client/pack-build-zip.ts, client/upload-build-zip.ts),
 * unpacked and checked on the cloud side (worker/unpack-build-zip.ts, worker/check-build-folder.ts).
 * This file holds what both sides share: the entry names and build.json's schema.
 */
import { z } from 'zod'

export const RECIPE_ENTRY = 'recipe.yml'
export const MANIFEST_ENTRY = 'build.json'

export const BuildManifestSchema = z.object({
  format: z.literal(1),
  id: z.string(),
  createdAt: z.string(),
  builder: z.object({ name: z.string(), version: z.string() }),
  recipe: z.object({ name: z.string(), file: z.literal(RECIPE_ENTRY), sha256: z.string() }),
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[a-f0-9]{64}$/), fields: z.array(z.string()) })),
})
export type BuildManifest = z.infer<typeof BuildManifestSchema>
