/**
 * The draft turned into YAML and validated by core (the builder's own schema), a moment
 * after the last change. Core is local (IPC or loopback), so the answer is fast enough to
 * show problems as the user types, and no rule is copied into the renderer.
 */
import { useEffect, useState } from 'react'
import type { Output } from '@common/contract'
import { useClient } from '../../client/context'
import { prune, type RecipeDraft } from './draft'

type Validation = Output<'recipes.toYaml'>

const DEBOUNCE_MS = 200

export function useRecipeValidation(draft: RecipeDraft, baseDir: string | undefined): { result: Validation | null; pending: boolean; error: string | null } {
  const client = useClient()
  // Each answer remembers what it was for: it is pending while the form has moved on.
  const [answer, setAnswer] = useState<{ draft: RecipeDraft; baseDir?: string; result: Validation | null; error: string | null } | null>(null)

  useEffect(() => {
    let current = true
    const timer = setTimeout(() => {
      client.call('recipes.toYaml', { data: prune(draft) ?? {}, ...(baseDir ? { baseDir } : {}) }).then(
        (result) => current && setAnswer({ draft, baseDir, result, error: null }),
        (failure: Error) => current && setAnswer((last) => ({ draft, baseDir, result: last?.result ?? null, error: failure.message })),
      )
    }, DEBOUNCE_MS)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [client, draft, baseDir])

  const pending = !answer || answer.draft !== draft || answer.baseDir !== baseDir
  return { result: answer?.result ?? null, pending, error: answer?.error ?? null }
}
