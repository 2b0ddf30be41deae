/** Issue 14: local names from S3 keys stay plain file names on every OS (path.win32 checks run on Linux too). */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BuildError } from '../../util/errors'
import { outputKeys } from '../build-keys'
import { fileIn, localFileName, notAPlainFileName } from './local-name'
import { imageFile, imageName, type BuildOutputs } from './results'

const ID = '20250101-120000-1a2b3c4d'
const outputsFor = (name: string): BuildOutputs => ({ id: ID, name, keys: outputKeys(ID, name), all: Object.values(outputKeys(ID, name)) })

/** Both flavours: a name that stays in `dir` on Linux but not on Windows counts as escaping. */
const inside = (dir: string, file: string) =>
  [path.posix, path.win32].every((flavour) => flavour.dirname(flavour.resolve(dir, file)) === flavour.resolve(dir))

const HOSTILE = [
  '..\\..\\evil',
  '..\\evil',
  '../evil',
  '..',
  '.',
  '',
  'C:\\Windows\\evil',
  'C:evil',
  '\\\\server\\share\\evil',
  '/etc/evil',
  'a/b',
  'a\\b',
  'kiosk.img.xz:stream',
  'CON',
  'nul.txt',
  'trailing.',
  'trailing ',
  'line\nbreak',
  'x'.repeat(300),
]

describe('localFileName', () => {
  it.each(HOSTILE)('refuses %j with FORBIDDEN, naming the key', (name) => {
    expect(notAPlainFileName(name)).toBeTruthy()
    const error = (() => {
      try {
        localFileName(name, `builds/${ID}/${name}.img.xz`)
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(BuildError)
    expect((error as BuildError).code).toBe('FORBIDDEN')
    expect((error as BuildError).message).toMatch(/is not a plain file name \(.+\)\. Nothing was written/)
  })

  it.each(['kiosk.img.xz', 'kiosk-1.2_a.buildinfo.json', 'Ünïcode name.img.xz', '..kiosk'])('keeps %j, which is inside the folder on Linux and Windows', (name) => {
    expect(localFileName(name, 'k')).toBe(name)
    expect(inside('/out', fileIn('/out', name, 'k'))).toBe(true)
  })
})

describe('a build whose image key is hostile', () => {
  it.each(['..\\..\\evil', 'C:\\evil', '..\\evil'])('%j: the image file is refused, not placed outside the output folder', (name) => {
    // The bucket lists builds/<id>/<name>.img.xz: imageName takes it (no "/" in it) …
    expect(imageName(ID, [`builds/${ID}/${name}.img.xz`])).toBe(name)
    // … and the local file name derived from it is refused (before: '/out/..\\..\\evil.img.xz', outside on Windows).
    expect(() => imageFile('/out', outputsFor(name))).toThrow(/not a plain file name/)
  })

  it('a plain name lands directly in the output folder', () => {
    expect(imageFile('/out', outputsFor('kiosk'))).toBe(path.resolve('/out/kiosk.img.xz'))
  })
})
