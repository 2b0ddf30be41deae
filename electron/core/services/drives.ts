/** Drives as the app sees them: listed, checked against an image, watched for cards coming and going. */
import path from 'node:path'
import { DriveWatcher, listDrives, type Drive } from '../../../builder/src/flash/drives'
import { checkDrive, visibleDrives } from '../../../builder/src/flash/safety'
import { imageSize } from '../../../builder/src/source/image-size'
import type { DriveView, Input, Output } from '@common/contract'
import type { EventBus } from '../events'

export function toView(drive: Drive, issues: DriveView['issues'] = []): DriveView {
  const { device, description, size, removable, system, readOnly, virtual, busType, mountpoints, serial } = drive
  return { device, description, size, removable, system, readOnly, virtual, busType, mountpoints, serial, issues }
}

export function createDrivesService(bus: EventBus, busyDevices: () => string[]) {
  let watcher: DriveWatcher | null = null

  return {
    async list({ image, showSystem = false }: Input<'drives.list'>): Promise<Output<'drives.list'>> {
      const drives = visibleDrives(await listDrives(), showSystem)
      const size = image ? await imageSize(image) : null
      return {
        drives: drives.map((drive) =>
          toView(
            drive,
            image
              ? checkDrive(drive, { imageSize: size ?? 0, imagePath: path.resolve(image), busyDevices: busyDevices(), allowSystemDrives: showSystem })
                  .filter((issue) => size !== null || issue.code !== 'TOO_SMALL')
              : [],
          ),
        ),
      }
    },
    watch({ watching }: Input<'drives.watch'>): Output<'drives.watch'> {
      if (watching && !watcher) {
        watcher = new DriveWatcher()
        watcher.on('changed', (drives) => bus.emit('drives.changed', { drives: visibleDrives(drives, false).map((drive) => toView(drive)) }))
        watcher.on('error', (error) => console.error(`[drives] ${error.message}`))
        watcher.start()
      } else if (!watching && watcher) {
        watcher.stop()
        watcher = null
      }
      return { watching: watcher !== null }
    },
    stop() {
      watcher?.stop()
      watcher = null
    },
  }
}
