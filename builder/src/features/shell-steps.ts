/** Shell steps run as root inside the image, in order, after the packages: a full build. */
import { z } from 'zod'
import { defineFeature } from './feature'

const Step = z
  .object({
    name: z.string().min(1, 'must not be empty'),
    run: z.string().min(1, 'must not be empty'),
  })
  .strict()

export const shellSteps = defineFeature({
  id: 'shell-steps',
  title: 'Shell steps',
  schema: { steps: z.array(Step).default([]) },
  arm: ({ steps }) => (steps.length ? { field: 'steps', steps: steps.map(({ name, run }) => ({ name, script: run })) } : null),
  describe: ({ steps }) => steps.map((step) => `step "${step.name}"`),
  example: { steps: [{ name: 'motd', run: 'echo "Managed by Orchard" > /etc/motd' }] },
})
