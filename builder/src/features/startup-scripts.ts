/**
 * The recipe's own startup scripts and their resources, copied into the boot partition's
 * startup-scripts/ folders (the runner itself and first_run_setup.sh are always installed:
 * customize/customize.ts).
 */
import path from 'node:path'
import { z } from 'zod'
import { FIRST_RUN_SCRIPT } from '../customize/runner-files'
import { RecipePath } from '../recipe/fields'
import { defineFeature } from './feature'

type Folder = 'run-once' | 'every-time' | 'resources'
interface Lists {
  firstBoot: string[]
  startupScripts: { runOnce: string[]; everyTime: string[]; resources: string[] }
}

/** Every listed file with the folder it goes to and the field that names it, in write order. */
function scriptFiles({ firstBoot, startupScripts }: Lists): { folder: Folder; field: string; path: (string | number)[]; file: string }[] {
  const lists: [Folder, string, string[]][] = [
    ['run-once', 'firstBoot', firstBoot],
    ['run-once', 'startupScripts.runOnce', startupScripts.runOnce],
    ['every-time', 'startupScripts.everyTime', startupScripts.everyTime],
    ['resources', 'startupScripts.resources', startupScripts.resources],
  ]
  return lists.flatMap(([folder, field, files]) =>
    files.map((file, index) => ({ folder, field: `${field}[${index}]`, path: [...field.split('.'), index], file })),
  )
}

export const startupScripts = defineFeature({
  id: 'startup-scripts',
  title: 'Startup scripts',
  schema: {
    firstBoot: z.array(RecipePath).default([]),
    startupScripts: z
      .object({
        runOnce: z.array(RecipePath).default([]),
        everyTime: z.array(RecipePath).default([]),
        resources: z.array(RecipePath).default([]),
      })
      .strict()
      .default({ runOnce: [], everyTime: [], resources: [] }),
  },
  // One folder holds one file of a name, and FAT names are case-insensitive.
  check: (recipe) => {
    const taken = new Map<string, string>([[`run-once/${FIRST_RUN_SCRIPT}`, 'the generated first-boot script']])
    return scriptFiles(recipe).flatMap(({ folder, field, path: at, file }) => {
      const name = path.basename(file)
      const key = `${folder}/${name}`.toLowerCase()
      const clash = taken.get(key)
      taken.set(key, field)
      return clash ? [{ path: at, message: `"${name}" would replace ${clash} in startup-scripts/${folder}` }] : []
    })
  },
  files: (recipe) => scriptFiles(recipe).map(({ field, file }) => ({ field, file })),
  writeBoot: async (recipe, fat, { readRecipeFile, onStep }) => {
    const files = scriptFiles(recipe)
    for (const { folder, field, file } of files) await fat.writeFile(`/startup-scripts/${folder}/${path.basename(file)}`, await readRecipeFile(file, field))
    if (files.length) onStep(`startup-scripts: ${files.length} file(s) from the recipe`)
  },
  describe: ({ firstBoot, startupScripts }) => [
    ...firstBoot.map((script) => `first-boot script ${basename(script)}`),
    ...startupScripts.runOnce.map((script) => `run-once script ${basename(script)}`),
    ...startupScripts.everyTime.map((script) => `every-time script ${basename(script)}`),
    ...startupScripts.resources.map((resource) => `resource ${basename(resource)}`),
  ],
  example: { firstBoot: ['setup.sh'], startupScripts: { everyTime: ['heartbeat.sh'], resources: ['ca.pem'] } },
})

// Recipes written on Windows may use backslashes.
const basename = (file: string) => file.split(/[\\/]/).pop() ?? file
