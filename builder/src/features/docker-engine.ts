/** Docker Engine installed on the image (Debian's docker.io, its service enabled): a full build. */
import { z } from 'zod'
import { defineFeature } from './feature'

export const dockerEngine = defineFeature({
  id: 'docker-engine',
  title: 'Docker Engine',
  // The recipe key predates the name: `docker: true` installs Docker Engine on the image.
  schema: { docker: z.boolean().default(false) },
  arm: ({ docker }) => (docker ? { field: 'docker', packages: ['docker.io'] } : null),
  describe: ({ docker }) => (docker ? ['docker installed'] : []),
  example: { docker: true },
})
