/**
 * Which local files a build of this recipe will carry into the image (or build.zip), as
 * core checked them: each with the field that names it, where it really is (links
 * resolved) and, for a file outside the recipe's folder, what allows it.
 */
import type { RecipeValidation } from '@common/contract'
import { formatBytes } from '../../ui/format'

export function CarriedFiles({ validation, baseDir }: { validation: RecipeValidation | null; baseDir: string | undefined }) {
  const files = validation?.files
  let body
  if (!baseDir) body = <p className="small muted">Give the recipe a file path to see which local files a build will carry (they must sit in its folder).</p>
  else if (!files) body = <p className="small muted">Shown once the recipe is valid.</p>
  else if (files.length === 0) body = <p className="small muted">None: the recipe names no local files.</p>
  else {
    body = (
      <ul aria-label="Carried files">
        {files.map((file) => (
          <li key={file.field}>
            <code>{file.field}</code> {file.path} <span className="muted">({formatBytes(file.size)})</span>
            {file.allowedBy !== 'recipe folder' && <strong> outside the recipe folder: {file.allowedBy}</strong>}
          </li>
        ))}
      </ul>
    )
  }
  return (
    <section aria-label="Files a build will carry" className="carried-files">
      <h3>Files a build will carry</h3>
      {body}
    </section>
  )
}
