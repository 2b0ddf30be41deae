/**
 * The list shipped with Orchard, used when the official list cannot be fetched and none is
 * cached (offline, first run). Written in Imager's own format and read by the same parser,
 * so it can never hold what the network list could not.
 *
 * Where each number comes from. Raspberry Pi publishes `<file>.sha256` beside every image;
 * that file is the authority, and a wrong number here can only make a download fail its
 * check (the URLs are all on downloads.raspberrypi.com), never let a wrong file through.
 * No network reached Raspberry Pi from where this list was written, so the numbers below
 * were taken from public repositories whose build scripts pin the same official file and
 * check it against the number (found with a code search over public GitHub):
 * - Lite 64-bit 2026-09-15: download SHA256 from one such script.
 * - Lite 32-bit 2026-09-15: download SHA256 from two independent scripts; extract SHA256
 *   from one of them (it checks the decompressed image too).
 * - Desktop 64-bit 2026-09-15: download SHA256 from one script; download size from another
 *   (a resumable downloader's expected total).
 * - Desktop 32-bit: no 2026-09-15 number was found, so the entry is the 2026-06-18 release,
 *   download SHA256 from one script.
 * - Bookworm Lite 64-bit 2025-11-24 (the last Bookworm, now "Legacy"/oldstable): download
 *   SHA256 from one script.
 * - Bookworm Lite 64-bit 2024-11-19: the number Orchard already shipped
 *   (electron/core/services/releases.ts).
 * Sizes and extract SHA256s not found are left out (the list format allows it); the build
 * then checks the download only. Device tags and init_format follow Imager's list for
 * Raspberry Pi OS (64-bit: pi5/pi4/pi3; 32-bit: pi4/pi3/pi2/pi1; Trixie from 2025-11-24 is
 * `cloudinit-rpi`, Bookworm `systemd`). Replace these with a fresh list when updating.
 */
import { OFFICIAL_CATALOG_URL } from './format'

const BASE = 'https://downloads.raspberrypi.com'
const ICON_64 = `${BASE}/raspios_arm64/Raspberry_Pi_OS_(64-bit).png`
const ICON_32 = `${BASE}/raspios_armhf/Raspberry_Pi_OS_(32-bit).png`
const DEVICES_64 = ['pi5-64bit', 'pi4-64bit', 'pi3-64bit']
const DEVICES_32 = ['pi4-32bit', 'pi3-32bit', 'pi2-32bit', 'pi1-32bit']

/** Stands in for the list at OFFICIAL_CATALOG_URL (its URL resolves relative icons). */
export const SHIPPED_CATALOG_URL = OFFICIAL_CATALOG_URL

export const SHIPPED_CATALOG = {
  os_list: [
    {
      name: 'Raspberry Pi OS (64-bit)',
      description: 'A port of Debian Trixie with the Raspberry Pi Desktop',
      icon: ICON_64,
      url: `${BASE}/raspios_arm64/images/raspios_arm64-2026-09-15/2026-09-15-raspios-trixie-arm64.img.xz`,
      image_download_size: 1372609344,
      image_download_sha256: '61d95799550aac32788bb3cacc3d471dcc860f8053ce989dec4aecc388b799dd',
      release_date: '2026-09-15',
      init_format: 'cloudinit-rpi',
      devices: DEVICES_64,
    },
    {
      name: 'Raspberry Pi OS (32-bit)',
      description: 'A port of Debian Trixie with the Raspberry Pi Desktop',
      icon: ICON_32,
      url: `${BASE}/raspios_armhf/images/raspios_armhf-2026-06-19/2026-06-18-raspios-trixie-armhf.img.xz`,
      image_download_sha256: '676b4a58a75dbbe753d0af64cc97927fdba3cd7750327c6f5fccdb52b0ecc600',
      release_date: '2026-06-18',
      init_format: 'cloudinit-rpi',
      devices: DEVICES_32,
    },
    {
      name: 'Raspberry Pi OS (other)',
      description: 'Other Raspberry Pi OS based images',
      icon: ICON_64,
      subitems: [
        {
          name: 'Raspberry Pi OS Lite (64-bit)',
          description: 'A port of Debian Trixie with no desktop environment',
          icon: ICON_64,
          url: `${BASE}/raspios_lite_arm64/images/raspios_lite_arm64-2026-09-15/2026-09-15-raspios-trixie-arm64-lite.img.xz`,
          image_download_sha256: 'cdf4f3bfac35ae947b46e4e767f935453810549779ac3290e05a6754aee627e5',
          release_date: '2026-09-15',
          init_format: 'cloudinit-rpi',
          devices: DEVICES_64,
        },
        {
          name: 'Raspberry Pi OS Lite (32-bit)',
          description: 'A port of Debian Trixie with no desktop environment',
          icon: ICON_32,
          url: `${BASE}/raspios_lite_armhf/images/raspios_lite_armhf-2026-09-15/2026-09-15-raspios-trixie-armhf-lite.img.xz`,
          image_download_sha256: 'c766b3fb279b95c12cb4dd22d06f8eab31972c372675d05bd0ca95b060523a7f',
          extract_sha256: 'f6154846c674d27f61f2d91704783f105f2a8d1e40944126ca6d7f60d10644f1',
          release_date: '2026-09-15',
          init_format: 'cloudinit-rpi',
          devices: DEVICES_32,
        },
        {
          name: 'Raspberry Pi OS (Legacy, 64-bit) Lite',
          description: 'A port of Debian Bookworm with security updates and no desktop environment',
          icon: ICON_64,
          url: `${BASE}/raspios_oldstable_lite_arm64/images/raspios_oldstable_lite_arm64-2025-11-24/2025-11-24-raspios-bookworm-arm64-lite.img.xz`,
          image_download_sha256: 'e6a69b5a5a8cd4afc0e9dbdc8404f6fed7c93e0d1796f438e7c780e0eac2d482',
          release_date: '2025-11-24',
          init_format: 'systemd',
          devices: DEVICES_64,
        },
        {
          name: 'Raspberry Pi OS Lite (64-bit), Bookworm 2024-11-19',
          description: 'The Bookworm release Orchard shipped first, kept for recipes pinned to it',
          icon: ICON_64,
          url: `${BASE}/raspios_lite_arm64/images/raspios_lite_arm64-2024-11-19/2024-11-19-raspios-bookworm-arm64-lite.img.xz`,
          image_download_sha256: '6ac3a10a1f144c7e9d1f8e568d75ca809288280a593eb6ca053e49b539f465a4',
          release_date: '2024-11-19',
          init_format: 'systemd',
          devices: DEVICES_64,
        },
      ],
    },
  ],
}
