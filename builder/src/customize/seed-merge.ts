/**
 * A user's own cloud-init `user-data` / `network-config` merged with what the recipe sets
 * (features/cloud-init-files.ts). Pure: text in, text or one INVALID_RECIPE out, listing
 * every problem. The rules, one per kind of value:
 * - a key only one side has is kept;
 * - mappings merge key by key;
 * - lists are joined, the recipe's items first (runcmd, packages, write_files …), except
 *   `users`, where one name on both sides is a conflict;
 * - the same scalar on both sides is fine; two different ones are a conflict, named with
 *   both sides: the file and the recipe's setting that wrote it.
 */
import YAML from 'yaml'
import { features } from '../features/registry'
import { cloudConfigData, networkConfigData } from './boot-files'
import type { SealedRecipe } from '../recipe/schema'
import { BuildError } from '../util/errors'

/** Where a user's file came from, for messages: `cloudInit.userData (./seed/user-data)`. */
export interface SeedSource {
  field: string
  file: string
}

const label = (source: SeedSource) => `${source.field} (${source.file})`

/** The keys of netplan v2's `network:` that cloud-init passes on (netplan's own list). */
const NETPLAN_KEYS = new Set(['version', 'renderer', 'ethernets', 'wifis', 'bonds', 'bridges', 'vlans', 'modems', 'tunnels', 'vrfs', 'nm-devices', 'virtual-ethernets'])

type Mapping = Record<string, unknown>
const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value)

function refuse(source: SeedSource, problems: string[]): never {
  throw new BuildError('INVALID_RECIPE', `${label(source)}:\n${problems.map((problem) => `  ${problem}`).join('\n')}`, {
    problems: problems.map((message) => ({ path: source.field, message })),
  })
}

/**
 * cloud-init reads YAML 1.1 (PyYAML): `yes`/`on` are booleans, `0644` octal, `1:20` base 60.
 * Read and written the same way, so a value means after the merge what it meant before
 * (timestamps stay strings: a date object is not what any cloud-config key takes).
 */
export const YAML_1_1 = { version: '1.1', customTags: (tags: YAML.Tags) => tags.filter((tag) => typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:timestamp') } as const

/** How many alias uses are resolved before calling it a bomb (the yaml library's own default). */
const MAX_ALIASES = 100

function readYaml(text: string, source: SeedSource): unknown {
  const document = YAML.parseDocument(text, { ...YAML_1_1, uniqueKeys: true, prettyErrors: true })
  if (document.errors.length) {
    const [first] = document.errors
    refuse(source, [`is not valid YAML: line ${first!.linePos?.[0]?.line ?? '?'}: ${first!.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`])
  }
  try {
    return document.toJS({ maxAliasCount: MAX_ALIASES })
  } catch (error) {
    refuse(source, [`cannot be read: ${error instanceof Error ? error.message : String(error)}`])
  }
}

/** The user's user-data as a mapping: only `#cloud-config` can be merged with the recipe's keys. */
export function parseUserData(text: string, source: SeedSource): Mapping {
  const first = text.replace(/^\uFEFF/, '').split('\n', 1)[0]!.trimEnd()
  if (first !== '#cloud-config') {
    const kind = first.startsWith('#!')
      ? 'a script'
      : /^content-type:\s*multipart/i.test(first) || /^MIME-Version/i.test(first)
        ? 'a MIME multipart archive'
        : first.startsWith('## template:')
          ? 'a Jinja template'
          : first.startsWith('#include')
            ? 'an include list'
            : `something else (its first line is "${first.slice(0, 40)}")`
    refuse(source, [`must start with the line "#cloud-config": it is ${kind}, which cannot be merged with the recipe's settings`])
  }
  const data = readYaml(text, source)
  if (data === null || data === undefined) return {}
  if (!isMapping(data)) refuse(source, ['must be a YAML mapping of cloud-config keys (hostname: …, users: …)'])
  return data
}

/** The user's network-config as netplan v2's `network:` mapping (cloud-init takes it with or without that key). */
export function parseNetworkConfig(text: string, source: SeedSource): Mapping {
  const data = readYaml(text, source)
  if (!isMapping(data)) refuse(source, ['must be a netplan v2 mapping (network: { version: 2, … })'])
  const network = 'network' in data ? data.network : data
  const extra = 'network' in data ? Object.keys(data).filter((key) => key !== 'network') : []
  if (!isMapping(network)) refuse(source, ['network: must be a mapping'])
  const problems: string[] = []
  if (extra.length) problems.push(`has keys beside network: (${extra.join(', ')}), which cloud-init ignores`)
  if (network.version !== 2) problems.push(`network.version must be 2 (netplan v2, what Raspberry Pi OS's cloud-init hands netplan); it is ${JSON.stringify(network.version ?? null)}`)
  for (const key of Object.keys(network)) if (!NETPLAN_KEYS.has(key)) problems.push(`network.${key} is not a netplan v2 key (${[...NETPLAN_KEYS].join(', ')})`)
  if (problems.length) refuse(source, problems)
  return network
}

/** Which recipe settings set each top-level key of one seed file, for conflict messages. */
function owners(parts: { name: string; config: Mapping }[]): (key: string) => string {
  return (key) => parts.filter((part) => key in part.config).map((part) => part.name).join(', ') || 'settings'
}

function merge(ours: Mapping, theirs: Mapping, path: string[], conflicts: string[], ownerOf: (at: string[]) => string): Mapping {
  const merged: Mapping = { ...theirs }
  for (const [key, value] of Object.entries(ours)) {
    const at = [...path, key]
    const name = at.join('.')
    if (!(key in theirs)) {
      merged[key] = value
      continue
    }
    const mine = theirs[key]
    const recipe = `the recipe's ${ownerOf(at)}`
    if (isMapping(value) && isMapping(mine)) merged[key] = merge(value, mine, at, conflicts, ownerOf)
    else if (Array.isArray(value) && Array.isArray(mine)) {
      if (name === 'users') {
        const userName = (user: unknown) => (typeof user === 'string' ? user : isMapping(user) ? String(user.name) : '')
        for (const user of value.map(userName).filter((user) => mine.map(userName).includes(user))) conflicts.push(`users: "${user}" is in the file and in ${recipe}: give each user in one place`)
      }
      merged[key] = [...value, ...mine]
    } else if (JSON.stringify(value) !== JSON.stringify(mine)) {
      conflicts.push(`${name}: the file sets ${JSON.stringify(mine)}, ${recipe} sets ${JSON.stringify(value)}: keep one`)
    }
  }
  return merged
}

/** The recipe's user-data keys merged into the user's; every conflict in one INVALID_RECIPE. */
export function mergeUserData(recipe: SealedRecipe, theirs: Mapping, source: SeedSource): Mapping {
  const ownerOf = owners(features.map((feature) => ({ name: `${feature.title} (${feature.id})`, config: feature.cloudConfig?.(recipe) ?? {} })))
  const conflicts: string[] = []
  const merged = merge(cloudConfigData(recipe), theirs, [], conflicts, (at) => ownerOf(at[0]!))
  if (conflicts.length) refuse(source, conflicts)
  return merged
}

/** The recipe's network (netplan v2, what goes under `network:`) merged into the user's. */
export function mergeNetworkConfig(recipe: SealedRecipe, theirs: Mapping, source: SeedSource): Mapping {
  const ours = networkConfigData(recipe)
  if (!ours) return theirs
  const ownerOf = owners([
    { name: 'network-config as Orchard writes it for Raspberry Pi OS (version 2, renderer NetworkManager)', config: { version: 2, renderer: 'NetworkManager' } },
    ...features.map((feature) => ({ name: `${feature.title} (${feature.id})`, config: feature.networkConfig?.(recipe) ?? {} })),
  ])
  const conflicts: string[] = []
  const merged = merge(ours, theirs, ['network'], conflicts, (at) => ownerOf(at[1]!))
  if (conflicts.length) refuse(source, conflicts)
  return merged
}

export const userDataText = (config: Mapping, file: string): string =>
  `#cloud-config\n# Written by Orchard: ${file} merged with the recipe's settings (docs/releases.md).\n${Object.keys(config).length ? YAML.stringify(config, { ...YAML_1_1, lineWidth: 0 }) : ''}`

export const networkConfigText = (network: Mapping, file: string): string =>
  `# Written by Orchard: ${file} merged with the recipe's network settings (netplan v2).\n${YAML.stringify({ network }, { ...YAML_1_1, lineWidth: 0 })}`
