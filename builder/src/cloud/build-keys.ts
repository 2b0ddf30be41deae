/** Build ids, and where a build's objects live in the bucket: builds/<id>/… (its status, image, checksums, info, log). */
import { BuildError } from '../util/errors'

export const BUILDS_PREFIX = 'builds/'

/** A build id that is safe as one S3 key segment (checkBuildId also refuses `..`). */
export const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export function checkBuildId(id: string): void {
  if (!BUILD_ID.test(id) || id.includes('..')) throw new BuildError('INVALID_INPUT', `Not a build id: ${JSON.stringify(id)} (letters, digits, ".", "_" and "-", up to 128)`)
}

export const buildPrefix = (id: string) => `${BUILDS_PREFIX}${id}/`
export const statusKey = (id: string) => `${buildPrefix(id)}status.json`

/** Pure: the objects a build publishes under builds/<id>/. */
export function outputKeys(id: string, name: string) {
  const prefix = buildPrefix(id)
  const image = `${prefix}${name}.img.xz`
  return {
    image,
    /** sha256sum of the .img.xz: what downloads verify against (`<key>.sha256`). */
    checksum: `${image}.sha256`,
    /** sha256sum of the uncompressed image, as the builder wrote it. */
    imageChecksum: `${prefix}${name}.img.sha256`,
    buildInfo: `${prefix}buildinfo.json`,
    log: `${prefix}build.log`,
  }
}
