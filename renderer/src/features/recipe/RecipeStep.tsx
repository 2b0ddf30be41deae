/**
 * The Recipe step: a form for every recipe field, checked by core against the builder's
 * schema as you type, with each problem shown at its field; opened and saved as YAML.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { useClient } from '../../client/context'
import { useWizard } from '../../state/wizard'
import { dirname, emptyDraft, fieldPath, setAt, type RecipeDraft } from './draft'
import { FormProvider, type FormApi } from './form'
import { CarriedFiles } from './CarriedFiles'
import { RecipeFileBar } from './RecipeFileBar'
import { BasicsSection, FEATURE_SECTIONS, FeatureSection, OutputsSection } from './sections'
import { useRecipeValidation } from './useRecipeValidation'

export function RecipeStep() {
  const client = useClient()
  const { recipe, setRecipe, recipePath, settings, updateSettings } = useWizard()
  const [touched, setTouched] = useState<Set<string>>(() => new Set())
  const [showAll, setShowAll] = useState(false)
  const baseDir = recipePath.startsWith('/') || /^[A-Za-z]:\\/.test(recipePath) ? dirname(recipePath) : undefined
  const { result, pending, error } = useRecipeValidation(recipe, baseDir)
  const problems = useMemo(() => result?.validation.problems ?? [], [result])

  // The last draft comes back after a restart (core keeps it with the settings), unless the
  // user has started on the form by the time core answers: their typing is never replaced.
  const restored = useRef(false)
  useEffect(() => {
    if (restored.current || !settings) return
    restored.current = true
    if (recipe !== emptyDraft || !settings.lastRecipeYaml) return
    void client.call('recipes.fromYaml', { yaml: settings.lastRecipeYaml }).then(({ data }) => data && setRecipe((current) => (current === emptyDraft ? data : current)))
  }, [client, settings, recipe, setRecipe])
  useEffect(() => {
    if (!result || recipe === emptyDraft || !restored.current) return
    const timer = setTimeout(() => void updateSettings({ lastRecipeYaml: result.yaml }), 1000)
    return () => clearTimeout(timer)
  }, [result, recipe, updateSettings])

  const set = useCallback(
    (path: string, value: unknown) => {
      setRecipe((draft) => setAt(draft, path, value))
      setTouched((paths) => (paths.has(path) ? paths : new Set(paths).add(path)))
    },
    [setRecipe],
  )
  const form: FormApi = useMemo(
    () => ({
      data: recipe,
      set,
      touch: (path) => setTouched((paths) => (paths.has(path) ? paths : new Set(paths).add(path))),
      errors: (path, nested) =>
        problems
          .filter((problem) => {
            // "give exactly one of url or path" sits at source.url; a local-file form shows it at the path.
            // A missing source section shows at the source field on screen.
            const at = path === 'source.path' && (problem.path === 'source.url' || problem.path === 'source') ? 'source.path' : problem.path === 'source' ? 'source.url' : fieldPath(problem.path)
            const matches = at === path || (nested === true && at.startsWith(`${path}.`))
            return matches && (showAll || touched.has(path) || [...touched].some((t) => at.startsWith(`${t}.`) || t.startsWith(`${at}.`)))
          })
          .map((problem) => problem.message),
    }),
    [recipe, set, problems, showAll, touched],
  )

  const loaded = (draft: RecipeDraft) => {
    setRecipe(draft)
    setTouched(new Set())
    setShowAll(true)
  }

  return (
    <section aria-label="Recipe step" className="recipe">
      <RecipeFileBar yaml={result?.yaml ?? null} validation={result?.validation ?? null} pending={pending} onInvalidSave={() => setShowAll(true)} onLoaded={loaded} />
      <p className="small" role="status" aria-label="Recipe check">
        {error ? `Cannot check the recipe: ${error}` : pending ? 'Checking…' : result?.validation.valid ? 'The recipe is valid.' : `${problems.length} problem${problems.length === 1 ? '' : 's'} to fix.`}
      </p>
      {showAll && problems.length > 0 && (
        <ul className="problems" aria-label="Recipe problems">
          {problems.map((problem) => (
            <li key={`${problem.path}:${problem.message}`}>
              <code>{problem.path}</code>: {problem.message}
            </li>
          ))}
        </ul>
      )}
      <FormProvider api={form}>
        <form className="recipe-form" onSubmit={(event) => event.preventDefault()} aria-label="Recipe">
          <BasicsSection />
          {FEATURE_SECTIONS.map(({ id, title, fullBuild, Fields }) => (
            <FeatureSection key={id} id={id} title={title} fullBuild={fullBuild}>
              <Fields />
            </FeatureSection>
          ))}
          <OutputsSection />
        </form>
      </FormProvider>
      <CarriedFiles validation={result?.validation ?? null} baseDir={baseDir} />
      <details className="yaml-preview">
        <summary>Recipe YAML</summary>
        <pre aria-label="Recipe YAML">{result?.yaml ?? ''}</pre>
      </details>
    </section>
  )
}
