/**
 * Every customisation, in the order the pipeline applies them and build info lists them.
 * Adding one: docs/ARCHITECTURE.md, "How to add a customisation".
 */
import type { z } from 'zod'
import { cloudInitFiles } from './cloud-init-files'
import { connect } from './connect'
import { dockerEngine } from './docker-engine'
import { dockerfile } from './dockerfile'
import type { SealedRecipe } from '../recipe/schema'
import type { Feature } from './feature'
import { files } from './files'
import { hostname } from './hostname'
import { interfaces } from './interfaces'
import { locale } from './locale'
import { packages } from './packages'
import { shellSteps } from './shell-steps'
import { ssh } from './ssh'
import { startupScripts } from './startup-scripts'
import { staticNetwork } from './static-network'
import { upgrade } from './upgrade'
import { users } from './users'
import { wifi } from './wifi'

export const FEATURES = [hostname, users, ssh, wifi, staticNetwork, locale, interfaces, connect, cloudInitFiles, upgrade, dockerEngine, packages, shellSteps, files, startupScripts, dockerfile] as const

type AnyFeature = (typeof FEATURES)[number]
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never

type Parts<F> = F extends Feature<infer Shape, infer System, infer Sealed> ? { shape: Shape; system: System; sealed: Sealed } : never
type All<K extends 'shape' | 'system' | 'sealed'> = UnionToIntersection<Parts<AnyFeature>[K]>

/** Every feature's top-level recipe keys, as one zod shape. */
export type FeatureShape = All<'shape'>
/** Every feature's keys inside `system:`. */
export type SystemShape = All<'system'>
/** Every feature's part of a sealed recipe. */
export type SealedParts = All<'sealed'>

/**
 * The registry as the pipeline loops over it: each hook gets the whole (sealed) recipe, of
 * which it reads only its own fields.
 */
export const features = FEATURES as unknown as readonly Feature<z.ZodRawShape, z.ZodRawShape, SealedRecipe>[]
