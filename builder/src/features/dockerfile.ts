/** The recipe's own Dockerfile, built FROM the source image by the docker executor: a full build. */
import { RecipePath } from '../recipe/fields'
import { defineFeature } from './feature'

export const dockerfile = defineFeature({
  id: 'dockerfile',
  title: 'Dockerfile',
  schema: { dockerfile: RecipePath.optional() },
  files: ({ dockerfile }) => (dockerfile ? [{ field: 'dockerfile', file: dockerfile }] : []),
  // Its instructions run in the docker executor itself (steps/docker-executor.ts), not as plan steps.
  arm: ({ dockerfile }) => (dockerfile ? { field: 'dockerfile' } : null),
  describe: ({ dockerfile }) => (dockerfile ? [`dockerfile ${dockerfile.split(/[\\/]/).pop()}`] : []),
  example: { dockerfile: 'Dockerfile' },
})
