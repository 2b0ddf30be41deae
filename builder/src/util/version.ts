import { readFileSync } from 'node:fs'

/** The builder's version: the package's, recorded in every build. */
export const BUILDER_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version
