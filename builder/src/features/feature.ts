/**
 * What a customisation is: one object with everything the pipeline needs from it. The
 * recipe schema, sealing, hashing, redaction, the ARM step plan, first-boot generation,
 * boot and root files and build info all loop over the registry (./registry.ts), so a
 * new customisation is one module there (docs/ARCHITECTURE.md, "How to add a customisation").
 */
import type { z } from 'zod'
import type { ExtFs } from '../image/ext'
import type { FatFs } from '../image/fat'
import type { ReleaseTraits } from '../image/traits'

/** A recipe field path: `wifi.passphrase`, `users[].password` (`[]`: every item of a list). */
export type FieldPath = string

/**
 * A secret the user types (`plain`) and the only form of it that may leave the builder
 * (`sealed`: a crypt hash, a WPA PSK), two keys of the object at `field`. Plain values never
 * get past sealing; sealed values go only where a device needs them (marked lines in
 * first_run_setup.sh, native first-boot files) and never into logs, status, build info or
 * the recipe's fingerprint.
 */
export interface SecretField {
  field: FieldPath
  plain: string
  sealed: string
}

/** Work that needs ARM code to run, so a full build. */
export interface ArmNeeds {
  /** The recipe field that asks for it, named in "needs a full build" errors. */
  field: string
  /** Upgrade every installed package (`apt-get full-upgrade`) before any is installed. */
  upgrade?: boolean
  /** Debian packages to install (one apt-get for all features). */
  packages?: string[]
  /** Shell steps run as root inside the image, after the packages. */
  steps?: { name: string; script: string }[]
}

/** A file for the boot partition, written where a release's own first-boot tooling reads it. */
export interface BootFile {
  path: string
  content: string
}

export interface FirstBootContext {
  traits: ReleaseTraits
}

export interface WriteContext extends FirstBootContext {
  /** A file the recipe names, read relative to the recipe's folder; `field` names it in errors. */
  readRecipeFile: (file: string, field: string) => Promise<Buffer>
  onStep: (message: string) => void
}

type NoFields = Record<never, never>

/** A shape's parsed fields; nothing (not an index signature) for a feature without any. */
type Fields<Shape extends z.ZodRawShape> = [keyof Shape] extends [never] ? NoFields : z.output<z.ZodObject<Shape>>

/** The recipe fields a feature owns: its own top-level keys plus its keys inside `system:`. */
export type Own<Shape extends z.ZodRawShape, System extends z.ZodRawShape> = Fields<Shape> & ([keyof System] extends [never] ? NoFields : { system: Fields<System> })

/** What sealing may derive from: the recipe's fingerprint (secrets left out), so a recipe always seals the same way. */
export interface SealContext {
  recipeSha256: string
}

export interface Feature<Shape extends z.ZodRawShape = z.ZodRawShape, System extends z.ZodRawShape = z.ZodRawShape, Sealed = Own<Shape, System>> {
  /** Stable id: the form section and docs anchor use it. */
  id: string
  /** A heading for people (form section, docs). */
  title: string
  /** Top-level recipe keys this feature owns. */
  schema?: Shape
  /** Keys inside `system:` (a section several features share). */
  system?: System
  /** Which of its fields are secrets: every consumer is checked against this list. */
  secrets?: readonly SecretField[]
  /** Its part of the recipe with plaintext secrets replaced by their sealed forms. */
  seal?: (recipe: Own<Shape, System>, context: SealContext) => Sealed
  /** Rules across its own fields that a schema fragment cannot say: each problem with its field path. */
  check?: (recipe: Own<Shape, System>) => { path: (string | number)[]; message: string }[]
  /** Local files it names, with the field that names each. */
  files?: (recipe: Sealed) => { field: string; file: string }[]
  /**
   * Checks of those files' content that need no image (validate, the app's form, build.zip
   * packing and builds run it with the files' checks): throws INVALID_RECIPE naming the field.
   */
  checkFiles?: (recipe: Sealed, read: (file: string, field: string) => Promise<Buffer>) => Promise<void>
  /** ARM work it needs (packages, steps), or nothing. */
  arm?: (recipe: Sealed) => ArmNeeds | null
  /**
   * Its section of first_run_setup.sh (the startup-scripts runner runs it at first boot), or ''.
   * Only what no other mechanism applies on this release (`traits.firstBoot`): one owner per setting.
   */
  firstRun?: (recipe: Sealed, context: FirstBootContext) => string
  /**
   * Its keys of cloud-init's user-data, on releases whose settings cloud-init applies
   * (`traits.firstBoot === 'cloud-init'`); its firstRun must then leave those settings alone.
   */
  cloudConfig?: (recipe: Sealed) => Record<string, unknown>
  /** Its part of cloud-init's network-config (netplan v2, the keys under `network:`), on those releases. */
  networkConfig?: (recipe: Sealed) => Record<string, unknown>
  /** Boot-partition files for the release's own first-boot tooling (userconf.txt). */
  bootFiles?: (recipe: Sealed, context: FirstBootContext) => BootFile[]
  /** Writes into the root filesystem (no ARM code: the quick path runs this in every mode). */
  writeRoot?: (recipe: Sealed, fs: ExtFs, context: WriteContext) => Promise<void>
  /** Writes onto the boot partition. */
  writeBoot?: (recipe: Sealed, fat: FatFs, context: WriteContext) => Promise<void>
  /** One line per change, for build info. Never a secret: say "(hashed)". */
  describe: (recipe: Sealed) => string[]
  /** A recipe fragment using every field (secrets too): docs and the secrets test build it. */
  example: Record<string, unknown>
}

/** Keeps a feature's literal types (its schema shape) for the registry's recipe type. */
export function defineFeature<Shape extends z.ZodRawShape = NoFields, System extends z.ZodRawShape = NoFields, Sealed = Own<Shape, System>>(
  feature: Feature<Shape, System, Sealed>,
): Feature<Shape, System, Sealed> {
  return feature
}
