/** The layering rule fires on violating files, linted with the project's real ESLint config. */
import { ESLint } from 'eslint'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const eslint = new ESLint({ cwd: projectRoot })

async function layeringErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(projectRoot, filePath) })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'orchard/layering').map((m) => m.message)
}

describe('orchard/layering', () => {
  it.each([
    ['electron/core/bad.ts', "import { app } from 'electron'\nexport const a = app", 'only electron/main and electron/preload may import "electron"'],
    ['builder/src/bad.ts', "const { app } = require('electron')\nexport const a = app", 'only electron/main and electron/preload'],
    ['electron/common/bad.ts', "import { readFile } from 'node:fs/promises'\nexport const r = readFile", 'Node built-in "node:fs/promises"'],
    ['electron/common/bad.ts', "import React from 'react'\nexport const r = React", 'may import only zod'],
    ['renderer/src/bad.ts', "import { createCore } from '../../electron/core'\nexport const c = createCore", 'renderer may not import from electron/core'],
    ['renderer/src/bad.ts', "export const m = () => import('../../builder/src/x')", 'renderer may not import from builder'],
    ['renderer/src/bad.ts', "import os from 'os'\nexport const o = os", 'Node built-in "os"'],
    ['electron/preload/bad.ts', "import fs from 'node:fs'\nexport const f = fs", 'Node built-in "node:fs"'],
    ['builder/src/bad.ts', "export { createCore } from '../../electron/core'", 'builder may not import from electron/core'],
    ['builder/src/pipeline/bad.ts', "export { attachLoop } from '../testing/loop'", 'builder may not import from builder/src/testing'],
    ['electron/core/bad.ts', "export { startS3 } from '../../builder/src/testing/s3'", 'electron/core may not import from builder/src/testing'],
    ['renderer/src/bad.ts', "export { findExecutable } from '../../builder/src/util/tools'", 'renderer may not import from builder'],
    ['builder/src/util/bytes.ts', "import path from 'node:path'\nexport const p = path", 'builder/src/util/bytes.ts is shared with every layer and may import nothing'],
    // The @common alias is resolved to electron/common and checked like a relative import.
    ['builder/src/bad.ts', "import { procedures } from '@common/contract'\nexport const p = procedures", 'builder may not import from electron/common'],
    ['builder/src/testing/bad.ts', "export type { Settings } from '@common/contract'", 'builder/src/testing may not import from electron/common'],
    // The contract may use the builder's vocabulary, and nothing else of the builder.
    ['electron/common/bad.ts', "export { buildImage } from '../../builder/src/pipeline/build'", 'electron/common may not import from builder'],
    ['renderer/src/bad.ts', "export { BuildPhase } from '../../builder/src/vocabulary'", 'renderer may not import from builder/src/vocabulary'],
    ['builder/src/vocabulary.ts', "export { BuildError } from './util/errors'", 'builder/src/vocabulary may not import from builder'],
    ['builder/src/vocabulary.ts', "import path from 'node:path'\nexport const p = path", 'Node built-in "node:path"'],
    ['builder/src/vocabulary.ts', "import YAML from 'yaml'\nexport const y = YAML", 'may import only zod'],
  ])('flags %s: %s', async (file, code, expected) => {
    const errors = await layeringErrors(file, code)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(expected)
  })

  it('lets tests reach other folders and Node, but never electron outside main and preload', async () => {
    expect(await layeringErrors('electron/bridge/x.int.test.ts', "import { sha256sum } from '../../builder/src/testing/disk-tools'\nexport const a = sha256sum")).toEqual([])
    expect(await layeringErrors('electron/common/x.test.ts', "import fs from 'node:fs'\nexport const a = fs")).toEqual([])
    expect(await layeringErrors('electron/core/x.test.ts', "import { app } from 'electron'\nexport const a = app")).toHaveLength(1)
  })

  it.each([
    ['electron/main/ok.ts', "import { app } from 'electron'\nimport { createCore } from '../core'\nexport const a = [app, createCore]"],
    ['electron/preload/ok.ts', "import { contextBridge } from 'electron'\nimport { EventEmitter } from 'events'\nexport const a = [contextBridge, EventEmitter]"],
    ['renderer/src/ok.ts', "import { createClient } from '../../electron/common/client'\nimport { useState } from 'react'\nexport const a = [createClient, useState]"],
    ['electron/core/ok.ts', "import fs from 'node:fs'\nimport { procedures } from '../common/contract'\nexport const a = [fs, procedures]"],
    ['renderer/src/ok.ts', "export { formatBytes } from '../../builder/src/util/bytes'"],
    ['electron/common/ok.ts', "export { formatBytes } from '../../builder/src/util/bytes.ts'"],
    ['renderer/src/ok.ts', "import { createClient } from '@common/client'\nexport const a = createClient"],
    ['electron/main/ok.ts', "import { IPC_CHANNELS } from '@common/channels'\nexport const a = IPC_CHANNELS"],
    ['electron/common/ok.ts', "import { ErrorShape } from '@common/errors'\nimport { BuildPhase } from '../../builder/src/vocabulary'\nexport const a = [ErrorShape, BuildPhase]"],
    ['electron/core/ok.ts', "import { CardRecord } from '../../builder/src/vocabulary'\nexport const a = CardRecord"],
    ['builder/src/flash/ok.ts', "import { CardRecord } from '../vocabulary'\nexport const a = CardRecord"],
    ['builder/src/vocabulary.ts', "import { z } from 'zod'\nexport const a = z"],
  ])('allows %s', async (file, code) => {
    expect(await layeringErrors(file, code)).toEqual([])
  })
})
