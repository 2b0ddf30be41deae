import type { Command } from 'commander'
import { inspectImage, type ImageReport } from '../image/inspect'
import type { ReleaseTraits } from '../image/traits'
import { formatBytes } from '../util/bytes'
import { createReporter, exitCodeFor } from './output'

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('Show an image: partitions, release traits and shape (who applies a recipe there), startup-scripts and build info')
    .argument('<image>', 'a disk image file (.img)')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const reporter = createReporter(Boolean(options.json))
      try {
        const report = await inspectImage(file)
        reporter.result(report, () => describe(report))
      } catch (error) {
        reporter.error(error)
        process.exitCode = exitCodeFor(error)
      }
    })
}

function describe(report: ImageReport): string {
  const { release } = report
  const lines = [
    `${report.file} (${formatBytes(report.bytes)}, ${report.table.scheme.toUpperCase()} disk id ${report.table.diskId})`,
    ...report.table.partitions.map(
      (p) => `  #${p.index} type ${p.type} at ${p.offset} (${formatBytes(p.size)}) PARTUUID=${p.partuuid}${p.index === report.boot.index ? ` boot "${report.boot.label}"` : ''}${p.index === report.root.index ? ` root "${report.root.label}"` : ''}`,
    ),
    `Release: ${release.release} (${release.arch}), boot mounted at ${release.bootMount}, ${release.init}, network ${release.network}` +
      `${release.cloudInit ? ', cloud-init' : ''}${release.userconfWizard ? ', first-boot user wizard' : ''}`,
    `Shape: ${release.shape}; ${mechanismLine(release)}`,
    report.startupScripts ? 'startup-scripts:' : 'startup-scripts: not installed',
    ...(report.startupScripts ?? []).map((entry) => `  ${entry.path}${entry.isDirectory ? '/' : ` (${formatBytes(entry.size)})`}`),
  ]
  if (report.buildInfo) {
    const info = report.buildInfo
    lines.push(`Build: ${info.name}, ${info.builtAt} (${info.mode}, orchard ${info.builder.version})`, `  source ${info.source.url ?? info.source.path} sha256 ${info.source.sha256}`)
    lines.push(...info.customizations.map((line) => `  - ${line}`))
  } else {
    lines.push('Build info: none (not built by Orchard)')
  }
  return lines.join('\n')
}

/** Who a build applies the recipe's settings with on this release (docs/releases.md). */
export function mechanismLine(release: ReleaseTraits): string {
  if (release.firstBoot === 'cloud-init') {
    return `a build's settings go to cloud-init (user-data, network-config, meta-data seeded from ${release.cloudInitSeed ?? release.bootMount}); first_run_setup.sh applies the rest (device.env overrides, SSH host keys, static addresses)`
  }
  const wizard = release.userconfWizard ? '; userconf.txt answers the first-boot user wizard' : ''
  return `a build's settings are applied by first_run_setup.sh (startup-scripts runner)${wizard}`
}
