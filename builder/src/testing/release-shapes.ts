/**
 * One ReleaseTraits per release shape (docs/releases.md), as detection gives them for
 * Raspberry Pi OS: the secrets check and the one-owner-per-setting test generate every
 * first-boot file for each.
 */
import type { ReleaseTraits } from '../image/traits'

const PI_OS = { arch: 'arm64', init: 'systemd', wpaSupplicant: true, cloudInit: false, cloudInitSeed: null, userconfWizard: true, openssh: true } as const

export const RELEASE_SHAPES: readonly ReleaseTraits[] = [
  {
    ...PI_OS,
    release: 'Raspberry Pi OS Trixie 2025-11-24 (cloud-init)',
    codename: 'trixie',
    bootMount: '/boot/firmware',
    network: 'networkmanager',
    netplan: true,
    cloudInit: true,
    cloudInitSeed: 'file:///boot/firmware',
    cmdline: { firstbootInit: false, systemdRun: false, resize: true },
    shape: 'trixie-cloud-init',
    firstBoot: 'cloud-init',
  },
  {
    ...PI_OS,
    release: 'Raspberry Pi OS Trixie 2025-10-01',
    codename: 'trixie',
    bootMount: '/boot/firmware',
    network: 'networkmanager',
    netplan: true,
    cmdline: { firstbootInit: false, systemdRun: false, resize: true },
    shape: 'firstrun',
    firstBoot: 'first_run_setup.sh',
  },
  {
    ...PI_OS,
    release: 'Raspberry Pi OS Bookworm',
    codename: 'bookworm',
    bootMount: '/boot/firmware',
    network: 'networkmanager',
    netplan: false,
    cmdline: { firstbootInit: true, systemdRun: false, resize: false },
    shape: 'firstrun',
    firstBoot: 'first_run_setup.sh',
  },
  {
    ...PI_OS,
    release: 'Raspberry Pi OS Bullseye (armhf)',
    codename: 'bullseye',
    arch: 'armhf',
    bootMount: '/boot',
    network: 'dhcpcd',
    netplan: false,
    cmdline: { firstbootInit: false, systemdRun: false, resize: false },
    shape: 'bullseye',
    firstBoot: 'first_run_setup.sh',
  },
  {
    ...PI_OS,
    release: 'Debian with ifupdown and sysvinit, no helpers',
    codename: 'bookworm',
    bootMount: '/boot',
    init: 'sysvinit',
    network: 'ifupdown',
    netplan: false,
    userconfWizard: false,
    openssh: false,
    cmdline: null,
    shape: 'generic',
    firstBoot: 'first_run_setup.sh',
  },
]

/** A generic release with one network stack: what the first-run tests vary. */
export const genericTraits = (network: ReleaseTraits['network'], overrides: Partial<ReleaseTraits> = {}): ReleaseTraits => ({
  release: 'Debian GNU/Linux 12 (bookworm)',
  codename: 'bookworm',
  arch: 'arm64',
  bootMount: '/boot/firmware',
  init: 'systemd',
  network,
  wpaSupplicant: true,
  netplan: false,
  cloudInit: false,
  cloudInitSeed: null,
  userconfWizard: false,
  openssh: true,
  cmdline: null,
  shape: 'generic',
  firstBoot: 'first_run_setup.sh',
  ...overrides,
})
