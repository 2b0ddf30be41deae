import type { AppInfo } from '@common/contract'
import { isElevated } from '../system/host'

/** What the host process knows about itself (Electron main passes its versions; the bridge passes none). */
export interface RuntimeInfo {
  name: string
  version: string
  runtime: AppInfo['runtime']
}

export async function appInfo(runtime: RuntimeInfo): Promise<AppInfo> {
  return {
    ...runtime,
    platform: process.platform,
    arch: process.arch,
    elevated: await isElevated(),
    versions: {
      node: process.versions.node,
      v8: process.versions.v8,
      electron: process.versions.electron ?? null,
      chrome: process.versions.chrome ?? null,
    },
  }
}
