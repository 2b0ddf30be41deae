/** A recipe's own cloud-init files are checked with the recipe's files: validate and the app's form see a conflict before any build. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parseRecipe } from '../recipe/load'
import { recipeFiles } from '../recipe/recipe-files'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-cloud-init-files-'))
  await writeFile(path.join(dir, 'good'), '#cloud-config\npackages: [htop]\n')
  await writeFile(path.join(dir, 'clash'), '#cloud-config\nhostname: other\n')
  await writeFile(path.join(dir, 'script'), '#!/bin/sh\necho hi\n')
  await writeFile(path.join(dir, 'net'), 'network:\n  version: 2\n  wifis:\n    wlan0: { optional: false }\n')
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const recipe = (cloudInit: unknown) =>
  parseRecipe({
    name: 'seed',
    source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) },
    arch: 'arm64',
    system: { hostname: 'fleet-host' },
    users: [{ name: 'fleet', password: 'typed-password' }],
    wifi: { ssid: 'Net', passphrase: 'net-passphrase', country: 'GB' },
    connect: { token: 'rpuak_cloudInitFilesTest01' },
    cloudInit,
  })

it('lists good files as files the build carries', async () => {
  expect((await recipeFiles(recipe({ userData: 'good' }), dir)).map((file) => file.field)).toEqual(['cloudInit.userData'])
})

it.each([
  ['a conflict with the recipe', { userData: 'clash' }, /cloudInit\.userData \(clash\):\n {2}hostname: the file sets "other", the recipe's Hostname \(hostname\) sets "fleet-host": keep one/],
  ['a script for user-data', { userData: 'script' }, /cloudInit\.userData \(script\):\n {2}must start with the line "#cloud-config": it is a script/],
  ['a network-config clashing with the recipe\'s wifi', { networkConfig: 'net' }, /cloudInit\.networkConfig \(net\):\n {2}network\.wifis\.wlan0\.optional: the file sets false, the recipe's Wifi \(wifi\) sets true: keep one/],
])('refuses %s as INVALID_RECIPE at its field, with a plain-password recipe sealed first', async (_what, cloudInit, message) => {
  const error = await recipeFiles(recipe(cloudInit), dir).then(() => null, (thrown: unknown) => thrown as { code: string; message: string; detail: { problems: { path: string }[] } })
  expect(error?.code).toBe('INVALID_RECIPE')
  expect(error?.message).toMatch(message)
  expect(error?.detail.problems[0]?.path).toBe(Object.keys(cloudInit)[0] === 'userData' ? 'cloudInit.userData' : 'cloudInit.networkConfig')
  expect(error?.message).not.toContain('rpuak_cloudInitFilesTest01')
})
