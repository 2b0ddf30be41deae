/** Debian packages installed with apt-get in the image: a full build. */
import { z } from 'zod'
import { defineFeature } from './feature'

export const packages = defineFeature({
  id: 'packages',
  title: 'Packages',
  schema: { packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+(=[^\s]+)?$/, 'must be a Debian package name')).default([]) },
  arm: ({ packages }) => (packages.length ? { field: 'packages', packages } : null),
  describe: ({ packages }) => (packages.length ? [`packages ${packages.join(' ')}`] : []),
  example: { packages: ['cowsay'] },
})
