/**
 * The source picker's starting list: official Raspberry Pi OS releases with the SHA256
 * Raspberry Pi publishes beside each file (the build checks it). Users add to and edit the
 * list in the app; their list is kept in settings. Add an entry only with its published hash.
 */
import type { Settings } from '@common/contract'

const BASE = 'https://downloads.raspberrypi.com'

export const OFFICIAL_RELEASES: Settings['releases'] = [
  {
    label: 'Raspberry Pi OS Lite (64-bit), Bookworm 2024-11-19',
    url: `${BASE}/raspios_lite_arm64/images/raspios_lite_arm64-2024-11-19/2024-11-19-raspios-bookworm-arm64-lite.img.xz`,
    sha256: '6ac3a10a1f144c7e9d1f8e568d75ca809288280a593eb6ca053e49b539f465a4',
    arch: 'arm64',
  },
]
