/** Files placed in the image: on the root filesystem (with mode and owner) or the boot partition. */
import path from 'node:path'
import { z } from 'zod'
import { extWriteFile } from '../image/ext'
import { RecipePath } from '../recipe/fields'
import { defineFeature } from './feature'

const FileEntry = z
  .object({
    source: RecipePath.optional(),
    content: z.string().optional(),
    target: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path inside the image, e.g. /etc/motd'),
    partition: z.enum(['root', 'boot']).default('root'),
    mode: z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal mode, e.g. "0644"').default('0644'),
    owner: z.string().regex(/^\d+:\d+$/, 'must be uid:gid numbers, e.g. "0:0" (names need the image\'s passwd)').default('0:0'),
  })
  .strict()
  .refine((file) => (file.source === undefined) !== (file.content === undefined), { message: 'give exactly one of source or content', path: ['source'] })
  .refine((file) => !file.target.split('/').includes('..'), { message: 'must not contain ".."', path: ['target'] })

export const files = defineFeature({
  id: 'files',
  title: 'Files',
  schema: { files: z.array(FileEntry).default([]) },
  files: ({ files }) => files.flatMap((entry, index) => (entry.source ? [{ field: `files[${index}].source`, file: entry.source }] : [])),
  writeRoot: async ({ files }, fs, { readRecipeFile, onStep }) => {
    for (const [index, file] of files.entries()) {
      if (file.partition !== 'root') continue
      const content = file.content ?? (await readRecipeFile(file.source!, `files[${index}].source`))
      const [uid, gid] = file.owner.split(':').map(Number) as [number, number]
      await extWriteFile(fs, file.target, content, Number.parseInt(file.mode, 8), [uid, gid])
      onStep(`file ${file.target}`)
    }
  },
  writeBoot: async ({ files }, fat, { readRecipeFile }) => {
    for (const [index, file] of files.entries()) {
      if (file.partition !== 'boot') continue
      const content = file.content ?? (await readRecipeFile(file.source!, `files[${index}].source`))
      await fat.mkdirp(path.posix.dirname(file.target))
      await fat.writeFile(file.target, content)
    }
  },
  describe: ({ files }) => files.map((file) => `file ${file.partition === 'boot' ? 'boot:' : ''}${file.target}`),
  example: { files: [{ target: '/etc/motd', content: 'Managed by Orchard\n' }] },
})
