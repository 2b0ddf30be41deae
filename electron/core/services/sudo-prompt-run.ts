/**
 * The macOS/Windows elevation: @vscode/sudo-prompt shows the OS's own dialog and runs the
 * writer's command line as administrator. It hands back no pipes (the writer connects back)
 * and no process to signal; it reports only how the command ended.
 */
import type { ElevationPlan } from './elevation'

export function runThroughSudoPrompt(plan: Extract<ElevationPlan, { kind: 'sudo-prompt' }>): Promise<{ stdout: string; stderr: string }> {
  return import('@vscode/sudo-prompt').then(
    (module) =>
      new Promise((resolve, reject) => {
        // A CommonJS module: its exports may sit on `default`.
        const sudo = 'exec' in module ? module : (module as unknown as { default: typeof module }).default
        sudo.exec(plan.commandLine, plan.options, (error, stdout, stderr) => {
          if (error) reject(Object.assign(new Error(error.message), { stderr: String(stderr ?? '') }))
          else resolve({ stdout: String(stdout ?? ''), stderr: String(stderr ?? '') })
        })
      }),
  )
}
