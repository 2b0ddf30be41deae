/**
 * One batch of the quick path: the chosen cards and image files in order, the device each
 * gets, what still stops the flash, and the start: the settings saved as a recipe (core
 * validates it again) and flashed with it, so the image itself never changes.
 */
import { useMemo, useState } from 'react'
import type { Device, DeviceProblem, DriveView, Input, RecipeValidation } from '@common/contract'
import { useClient } from '../../client/context'
import { useWizard } from '../../state/wizard'
import { toDevice } from '../devices/model'
import type { useFlash } from '../flash/useFlash'
import { QUICK_RECIPE_NAME } from './model'

export interface FileTarget {
  id: number
  path: string
}

export type Destination = { kind: 'drive'; name: string } | { kind: 'file'; name: string; id: number }

const isAbsolute = (path: string) => path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)

interface Inputs {
  drives: DriveView[] | null
  deviceProblems: DeviceProblem[]
  /** The settings as YAML with core's verdict; null while checking or when there is nothing to apply. */
  recipe: { yaml: string; validation: RecipeValidation } | null
  checking: boolean
  hasSettings: boolean
  flash: ReturnType<typeof useFlash>
}

export function useQuickBatch({ drives, deviceProblems, recipe, checking, hasSettings, flash }: Inputs) {
  const client = useClient()
  const { quick, setQuick, devices, templates, settings } = useWizard()
  const [chosen, setChosen] = useState<string[]>([])
  const [files, setFiles] = useState<FileTarget[]>([])
  const [saveError, setSaveError] = useState<string | null>(null)
  const folder = settings?.outDir ?? ''
  const flashed = Math.min(quick.flashedDevices, devices.length)

  const present = useMemo(() => new Set(drives?.map((d) => d.device) ?? []), [drives])
  const chosenPresent = chosen.filter((device) => present.has(device))
  const destinations: Destination[] = [
    ...(drives ?? []).filter((d) => chosenPresent.includes(d.device)).map((d) => ({ kind: 'drive' as const, name: d.device })),
    ...files.map((f) => ({ kind: 'file' as const, name: f.path, id: f.id })),
  ]
  const deviceFor = (position: number): Device | null => {
    const row = devices[flashed + position]
    return row ? toDevice(row, flashed + position, templates) : null
  }
  const positionOf = (name: string) => destinations.findIndex((d) => d.name === name)

  const problems = recipe?.validation.problems ?? []
  const batchProblems = deviceProblems.filter((p) => p.index >= flashed && p.index < flashed + destinations.length)
  const blockers = [
    !quick.image && 'Choose the image (1. Operating system)',
    hasSettings && checking && 'Checking the settings…',
    hasSettings && !checking && problems.length > 0 && `Fix the settings: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    hasSettings && !folder && 'Set the output folder (Build step) to keep the settings as a recipe',
    destinations.length === 0 && 'Choose at least one card or image file (4. Cards)',
    ...files.map((f, i) => (isAbsolute(f.path) ? null : `Image file ${i + 1} needs a full path`)),
    batchProblems.length > 0 && `Fix the devices first: ${batchProblems.map((p) => `device ${p.index + 1}: ${p.message}`).join('; ')}`,
  ].filter(Boolean) as string[]

  const start = async () => {
    if (blockers.length > 0 || !quick.image) return
    setSaveError(null)
    let recipePath: string | undefined
    if (hasSettings && recipe) {
      try {
        recipePath = (await client.call('recipes.save', { path: `${folder}/${QUICK_RECIPE_NAME}.yml`, yaml: recipe.yaml })).path
      } catch (error) {
        return setSaveError(`The settings could not be saved as a recipe: ${(error as Error).message}`)
      }
    }
    const targets: Input<'flash.start'>['targets'] = destinations.map((d) => (d.kind === 'drive' ? { kind: 'drive', device: d.name } : { kind: 'file', path: d.name }))
    await flash.start({ image: quick.image.path, targets, devices: destinations.map((_, position) => deviceFor(position)), verify: quick.verify, ...(recipePath ? { recipe: recipePath } : {}) })
  }

  /** Everything stays (image, settings, devices); the next cards get the next devices. */
  const nextBatch = () => {
    setQuick((state) => ({ ...state, flashedDevices: flashed + Math.min(destinations.length, devices.length - flashed) }))
    setChosen([])
    setFiles([])
    flash.reset()
  }

  return {
    chosen: chosenPresent,
    toggle: (device: string, on: boolean) => setChosen(on ? [...chosen, device] : chosen.filter((d) => d !== device)),
    files,
    addFile: () => setFiles([...files, { id: Date.now(), path: '' }]),
    setFilePath: (id: number, path: string) => setFiles(files.map((f) => (f.id === id ? { ...f, path } : f))),
    removeFile: (id: number) => setFiles(files.filter((f) => f.id !== id)),
    destinations,
    deviceFor,
    positionOf,
    blockers,
    saveError,
    start,
    nextBatch,
    flashed,
  }
}
