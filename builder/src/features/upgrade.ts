/**
 * `upgrade: true`: every installed package brought up to date (`apt-get full-upgrade`)
 * before the recipe's own packages: a full build. The boot partition takes part (its files
 * at the boot mount, written back afterwards), so kernel and firmware updates reach it.
 */
import { z } from 'zod'
import { defineFeature } from './feature'

export const upgrade = defineFeature({
  id: 'upgrade',
  title: 'Upgrade packages',
  schema: { upgrade: z.boolean({ error: 'must be true or false' }).default(false) },
  arm: ({ upgrade }) => (upgrade ? { field: 'upgrade', upgrade: true } : null),
  describe: ({ upgrade }) => (upgrade ? ['packages upgraded (apt-get full-upgrade)'] : []),
  example: { upgrade: true },
})
