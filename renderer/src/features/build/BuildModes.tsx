/**
 * Where to build. Each choice is enabled only when core's system check says it can run
 * here, and says why not otherwise. A choice core has no build mode for yet says so.
 */
import type { Input } from '@common/contract'
import { capabilityBlocker, useSystemCheckResult } from '../../shell/useSystemCheck'

export type ModeChoice = 'quick' | 'chroot' | 'docker' | 'cloud'

interface Choice {
  id: ModeChoice
  label: string
  detail: string
  capability: string
  /** Why the app cannot offer it at all yet, whatever this computer has. */
  missing?: string
}

export const CHOICES: Choice[] = [
  { id: 'quick', label: 'Quick', detail: 'In-process: edits the image directly. No root, no Docker. Everything but packages, Docker and shell steps.', capability: 'quickBuild' },
  { id: 'chroot', label: 'Full, on this computer', detail: 'ARM steps (packages, Docker, shell steps) in a qemu-user chroot. Linux and root.', capability: 'dockerBuild' },
  {
    id: 'docker',
    label: 'Local Docker',
    detail: 'The full build inside the builder container; ARM steps run in a Docker build under qemu. Needs Docker.',
    capability: 'dockerBuild',
  },
  {
    id: 'cloud',
    label: 'Cloud (AWS)',
    detail: 'Upload the sealed recipe to your stack; CodeBuild runs the same builder, then download the verified image. Needs AWS credentials and the cloud settings below.',
    capability: 'cloud',
  },
]

/** What builds.start gets for a choice (cloud builds go elsewhere). */
export function buildRequest(choice: Exclude<ModeChoice, 'cloud'>): Pick<Input<'builds.start'>, 'mode' | 'where'> {
  if (choice === 'docker') return { mode: 'docker', where: 'container' }
  return { mode: choice, where: 'host' }
}

export function reasonDisabled(choice: Choice, blocker: string | null): string | null {
  return choice.missing ?? blocker
}

export function BuildModes({ value, onChange, disabled }: { value: ModeChoice; onChange: (mode: ModeChoice) => void; disabled: boolean }) {
  const system = useSystemCheckResult()
  return (
    <fieldset className="modes">
      <legend>Where to build</legend>
      {CHOICES.map((choice) => {
        const why = reasonDisabled(choice, capabilityBlocker(system, choice.capability))
        return (
          <div key={choice.id} className={why ? 'mode unavailable' : 'mode'}>
            <label>
              <input type="radio" name="build-mode" value={choice.id} checked={value === choice.id} disabled={disabled || Boolean(why)} onChange={() => onChange(choice.id)} aria-describedby={`mode-${choice.id}-why`} />{' '}
              <strong>{choice.label}</strong>
            </label>
            <p id={`mode-${choice.id}-why`} className="small">
              {choice.detail}
              {why && <span className="why"> Unavailable: {why}</span>}
            </p>
          </div>
        )
      })}
    </fieldset>
  )
}
