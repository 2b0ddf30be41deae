import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DockerIgnore, hashContext, listContext } from './context'

describe('build context', () => {
  let dir: string
  const files = ['package.json', 'README.md', 'node_modules/x/index.js', 'builder/Dockerfile', 'builder/src/a.ts', 'builder/src/a.test.ts', 'builder/src/boot/b.ts', 'builder/other/c.ts', 'out/main.js']
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-context-'))
    for (const file of files) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
      await writeFile(path.join(dir, file), file)
    }
    await symlink('a.ts', path.join(dir, 'builder/src/link.ts'))
    await writeFile(path.join(dir, '.dockerignore'), '# allowlist\n*\n!package.json\n!builder/src\n**/*.test.ts\nbuilder/src/boot\n')
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('keeps what the allowlist names, drops tests and excluded folders, always keeps the Dockerfile', async () => {
    const names = (await listContext(dir, 'builder/Dockerfile')).map((entry) => entry.name)
    expect(names).toEqual(['.dockerignore', 'builder/Dockerfile', 'builder/src/a.ts', 'builder/src/link.ts', 'package.json'])
  })

  it('does not walk ignored folders no exception reaches into', () => {
    const ignore = new DockerIgnore('*\n!builder/src\n!**/keep.txt\n')
    expect(ignore.mayHoldExceptions('node_modules')).toBe(true) // ** may match anywhere
    const narrow = new DockerIgnore('*\n!builder/src\n')
    expect(narrow.mayHoldExceptions('node_modules')).toBe(false)
    expect(narrow.mayHoldExceptions('builder')).toBe(true)
    expect(narrow.ignores('builder/src/x/y.ts')).toBe(false)
    expect(narrow.ignores('builder/other.ts')).toBe(true)
  })

  it('hashes content and executable bits, not times', async () => {
    const entries = await listContext(dir, 'builder/Dockerfile')
    const first = await hashContext(dir, entries, { A: '1' })
    expect(await hashContext(dir, entries, { A: '1' })).toBe(first)
    expect(await hashContext(dir, entries, { A: '2' })).not.toBe(first)
    await writeFile(path.join(dir, 'builder/src/a.ts'), 'changed')
    expect(await hashContext(dir, entries, { A: '1' })).not.toBe(first)
  })
})
