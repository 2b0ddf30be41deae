/**
 * The form's customisation sections, one per feature, in the builder's registry order, with
 * its title and whether it runs ARM code (builder/src/features/registry.ts;
 * sections.test.ts keeps the two lists equal). Each component renders only its fields.
 */
import type { ComponentType } from 'react'
import { SshFields, UsersFields } from './access'
import { CloudInitFilesFields } from './cloud-init-files'
import { ConnectFields } from './connect'
import { FilesFields, StartupScriptsFields } from './files'
import { InterfacesFields } from './interfaces'
import { DockerEngineFields, DockerfileFields, PackagesFields, ShellStepsFields, UpgradeFields } from './full-build'
import { StaticNetworkFields, WifiFields } from './network'
import { HostnameFields, LocaleFields } from './system'

export { BasicsSection, OutputsSection } from './base'
export { FeatureSection } from './FeatureSection'

export const FEATURE_SECTIONS: readonly { id: string; title: string; fullBuild: boolean; Fields: ComponentType }[] = [
  { id: 'hostname', title: 'Hostname', fullBuild: false, Fields: HostnameFields },
  { id: 'users', title: 'Users', fullBuild: false, Fields: UsersFields },
  { id: 'ssh', title: 'SSH', fullBuild: false, Fields: SshFields },
  { id: 'wifi', title: 'Wifi', fullBuild: false, Fields: WifiFields },
  { id: 'static-network', title: 'Static addresses', fullBuild: false, Fields: StaticNetworkFields },
  { id: 'locale', title: 'Time zone, locale and keyboard', fullBuild: false, Fields: LocaleFields },
  { id: 'interfaces', title: 'Raspberry Pi interfaces', fullBuild: false, Fields: InterfacesFields },
  { id: 'connect', title: 'Raspberry Pi Connect', fullBuild: false, Fields: ConnectFields },
  { id: 'cloud-init-files', title: "cloud-init's user-data and network-config files", fullBuild: false, Fields: CloudInitFilesFields },
  { id: 'upgrade', title: 'Upgrade packages', fullBuild: true, Fields: UpgradeFields },
  { id: 'docker-engine', title: 'Docker Engine', fullBuild: true, Fields: DockerEngineFields },
  { id: 'packages', title: 'Packages', fullBuild: true, Fields: PackagesFields },
  { id: 'shell-steps', title: 'Shell steps', fullBuild: true, Fields: ShellStepsFields },
  { id: 'files', title: 'Files', fullBuild: false, Fields: FilesFields },
  { id: 'startup-scripts', title: 'Startup scripts', fullBuild: false, Fields: StartupScriptsFields },
  { id: 'dockerfile', title: 'Dockerfile', fullBuild: true, Fields: DockerfileFields },
]
