/**
 * The devices table as the app edits it: each row's variables and its own overrides of the
 * shared script templates. Rendering a row's scripts uses the same template function for
 * the live preview and for the files written to its card.
 */
import type { Device, DeviceFiles } from '@common/contract'
import { renderTemplate, type TemplateProblem } from '@common/templates'

export type Folder = 'runOnce' | 'everyTime' | 'resources'
export const FOLDERS: { id: Folder; label: string; dir: string }[] = [
  { id: 'runOnce', label: 'Run once', dir: 'run-once' },
  { id: 'everyTime', label: 'Every boot', dir: 'every-time' },
  { id: 'resources', label: 'Resources', dir: 'resources' },
]

export interface ScriptFile {
  folder: Folder
  name: string
  content: string
}

export interface DeviceRow {
  /** Stable across edits (React keys, selection). */
  id: string
  hostname: string
  /** UPPER_SNAKE → value; HOSTNAME is the hostname column, not kept here. */
  variables: Record<string, string>
  /** fileKey → this device's own content, replacing the template's (or a file only it has). */
  overrides: Record<string, string>
}

export const fileKey = (folder: Folder, name: string) => `${folder}/${name}`
export const splitKey = (key: string): { folder: Folder; name: string } => {
  const cut = key.indexOf('/')
  return { folder: key.slice(0, cut) as Folder, name: key.slice(cut + 1) }
}

/** Per-device columns the table always offers (the runner and first_run_setup.sh read them). */
export const KNOWN_VARIABLES: { key: string; label: string }[] = [
  { key: 'STATIC_IP', label: 'Static IP' },
  { key: 'GATEWAY', label: 'Gateway' },
  { key: 'DNS', label: 'DNS' },
  { key: 'WIFI_SSID', label: 'Wifi SSID' },
  { key: 'WIFI_PSK', label: 'Wifi PSK' },
]

export const DEFAULT_TEMPLATES: ScriptFile[] = [
  {
    folder: 'runOnce',
    name: '10-hello.sh',
    content: '#!/bin/sh\n# Runs once, at first boot. {{HOSTNAME}} and the other variables are filled in per device.\necho "Hello from {{HOSTNAME}} (device {{n}})"\n',
  },
]

let counter = 0
export const newRowId = () => `device-${Date.now().toString(36)}-${(counter++).toString(36)}`

export function rowFromDevice(device: Device): DeviceRow {
  const variables = Object.fromEntries(Object.entries(device.variables).filter(([key]) => key !== 'HOSTNAME'))
  return { id: newRowId(), hostname: device.hostname, variables, overrides: {} }
}

/** The files of one device: the templates with its overrides, plus files only it has. */
export function deviceScripts(row: DeviceRow, templates: ScriptFile[]): ScriptFile[] {
  const files = templates.map((file) => ({ ...file, content: row.overrides[fileKey(file.folder, file.name)] ?? file.content }))
  for (const [key, content] of Object.entries(row.overrides)) {
    const { folder, name } = splitKey(key)
    if (!templates.some((file) => file.folder === folder && file.name === name)) files.push({ folder, name, content })
  }
  return files
}

export const deviceVariables = (row: DeviceRow): Record<string, string> => ({ HOSTNAME: row.hostname, ...row.variables })

/** A script rendered for one device (`index` is 0-based; templates see it as {{n}} from 1). Resources are copied as they are. */
export function renderFor(row: DeviceRow, index: number, file: ScriptFile): { text: string; problems: TemplateProblem[] } {
  if (file.folder === 'resources') return { text: file.content, problems: [] }
  return renderTemplate(file.content, deviceVariables(row), index + 1)
}

/** The device as the contract takes it for flashing: variables and its rendered files. */
export function toDevice(row: DeviceRow, index: number, templates: ScriptFile[]): Device {
  const files: Required<DeviceFiles> = { runOnce: {}, everyTime: {}, resources: {} }
  for (const file of deviceScripts(row, templates)) files[file.folder][file.name] = renderFor(row, index, file).text
  // An empty cell means "not set": device.env gets no line for it.
  const variables = Object.fromEntries(Object.entries(deviceVariables(row)).filter(([, value]) => value !== ''))
  return { hostname: row.hostname, variables: { ...variables, HOSTNAME: row.hostname }, files }
}

/** Template problems (unknown variables) of every device, for the table's warnings. */
export function templateProblems(rows: DeviceRow[], templates: ScriptFile[]): Map<string, string[]> {
  const byRow = new Map<string, string[]>()
  rows.forEach((row, index) => {
    const messages = deviceScripts(row, templates).flatMap((file) => renderFor(row, index, file).problems.map((p) => `${FOLDERS.find((f) => f.id === file.folder)!.dir}/${file.name}: ${p.message}`))
    if (messages.length) byRow.set(row.id, messages)
  })
  return byRow
}

/** Columns to show: the known ones, then any other variable a row has, in first-seen order. */
export function variableColumns(rows: DeviceRow[]): { key: string; label: string }[] {
  const columns = [...KNOWN_VARIABLES]
  for (const row of rows) {
    for (const key of Object.keys(row.variables)) if (!columns.some((c) => c.key === key)) columns.push({ key, label: key })
  }
  return columns
}
