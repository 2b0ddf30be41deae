/** The secrets check can fail: a feature that prints its token in build info and an unmarked script line is caught. */
import { expect, it, vi } from 'vitest'
import { secretLeaks } from '../testing/secret-leaks'

vi.mock('./registry', async (importOriginal) => {
  const original = await importOriginal<typeof import('./registry')>()
  const { z } = await import('zod')
  const leaky = {
    id: 'leaky',
    title: 'Leaky',
    schema: { leaky: z.object({ token: z.string().optional(), sealedToken: z.string().optional() }).strict().optional() },
    secrets: [{ field: 'leaky', plain: 'token', sealed: 'sealedToken' }],
    seal: ({ leaky }: { leaky?: { token?: string } }) => ({ leaky: leaky && { sealedToken: `sealed-${leaky.token}` } }),
    firstRun: ({ leaky }: { leaky?: { sealedToken?: string } }) => (leaky ? `TOKEN='${leaky.sealedToken}'\n` : ''),
    describe: ({ leaky }: { leaky?: { sealedToken?: string } }) => (leaky ? [`token ${leaky.sealedToken}`] : []),
    example: { leaky: { token: 'typed-token-1234' } },
  }
  return { ...original, FEATURES: [...original.FEATURES, leaky], features: [...original.features, leaky] }
})

it('reports each consumer that shows the secret', () => {
  const leaks = secretLeaks({ leaky: { token: 'typed-token-1234' } })
  expect(leaks).toContain('build info shows "sealed-typed-token-1234"')
  expect(leaks.some((leak) => leak.startsWith('first_run_setup.sh') && leak.includes('unmarked secret line'))).toBe(true)
  // Redaction uses the declared list: the published log is clean even so.
  expect(leaks.some((leak) => leak.startsWith('status.json'))).toBe(false)
})
