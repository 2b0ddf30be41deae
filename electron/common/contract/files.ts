/** Plain files on this computer: a source image's SHA256, text the user imports or exports. */
import { z } from 'zod'
import { FilePath, type ProcedureMap } from './shared'

export const fileProcedures = {
  /** SHA256 and size of a local file (a source image picked from disk). */
  'files.sha256': { input: z.object({ path: FilePath }).strict(), output: z.object({ path: z.string(), sha256: z.string(), bytes: z.number() }) },
  /** Writes text the user exported (devices CSV) to a path on this computer. */
  'files.writeText': { input: z.object({ path: FilePath, content: z.string() }).strict(), output: z.object({ path: z.string() }) },
  'files.readText': { input: z.object({ path: FilePath }).strict(), output: z.object({ path: z.string(), content: z.string() }) },
} as const satisfies ProcedureMap
