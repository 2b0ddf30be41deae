/**
 * Which catalog images suit a Pi model, the way Imager decides it. The list's `imager.devices`
 * gives every model a set of hardware tags and a matching type; an image names the tags it
 * runs on (`devices`). An image with tags is shown when one of them is the model's; an
 * image without tags only for "inclusive" models (the Pi 5 is "exclusive": only images
 * that say they run on it). The Zero 2 W shares the Pi 3's tags, the 400 the Pi 4's; the
 * first Zero (ARMv6) shares the Pi 1's `pi1-32bit`, so no 64-bit image suits it.
 */
import type { CatalogDevice, CatalogEntry } from '../vocabulary'

interface DeviceTags {
  label: string
  tags: readonly string[]
  /** Untagged images are shown too. */
  inclusive: boolean
}

export const DEVICE_TAGS: Record<CatalogDevice, DeviceTags> = {
  pi5: { label: 'Raspberry Pi 5 / 500 / CM5', tags: ['pi5-64bit', 'pi5-32bit'], inclusive: false },
  pi4: { label: 'Raspberry Pi 4 / 400 / CM4', tags: ['pi4-64bit', 'pi4-32bit'], inclusive: true },
  pi3: { label: 'Raspberry Pi 3 / CM3', tags: ['pi3-64bit', 'pi3-32bit'], inclusive: true },
  zero2w: { label: 'Raspberry Pi Zero 2 W', tags: ['pi3-64bit', 'pi3-32bit'], inclusive: true },
  zero: { label: 'Raspberry Pi Zero / Zero W', tags: ['pi1-32bit'], inclusive: true },
}

export function suits(entry: CatalogEntry, device: CatalogDevice): boolean {
  const { tags, inclusive } = DEVICE_TAGS[device]
  if (entry.devices.length === 0) return inclusive
  return entry.devices.some((tag) => tags.includes(tag))
}

export function forDevice(entries: CatalogEntry[], device: CatalogDevice | undefined): CatalogEntry[] {
  return device ? entries.filter((entry) => suits(entry, device)) : entries
}
