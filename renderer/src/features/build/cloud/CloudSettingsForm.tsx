/**
 * Where cloud builds go: region, AWS profile, the stack (or its bucket) and an optional
 * S3-compatible endpoint. Never credentials: those come from the AWS default chain
 * (environment, ~/.aws profiles, `aws sso login`). Saving re-runs the system check, which
 * enables the Cloud choice once credentials, a region and a bucket are there.
 */
import { useId, useState } from 'react'
import type { CloudCheck, CloudSettings } from '@common/contract'
import { useClient } from '../../../client/context'
import { useSystemCheckResult } from '../../../shell/useSystemCheck'
import { useWizard } from '../../../state/wizard'

const EMPTY: CloudSettings = { region: null, profile: null, bucket: null, stack: null, endpoint: null, signingKey: null }
const FIELDS: { key: keyof CloudSettings; label: string; hint: string }[] = [
  { key: 'stack', label: 'Stack name', hint: 'The CloudFormation stack that holds the pipeline (its BucketName output is used).' },
  { key: 'bucket', label: 'Bucket', hint: 'Or the data bucket itself (needed with a custom endpoint).' },
  { key: 'region', label: 'Region', hint: 'e.g. eu-west-1; empty: AWS_REGION or the profile’s.' },
  { key: 'profile', label: 'AWS profile', hint: 'From ~/.aws/config; empty: AWS_PROFILE or "default".' },
  { key: 'endpoint', label: 'S3 endpoint', hint: 'Only for S3-compatible stores (MinIO, …): http://host:port.' },
  { key: 'signingKey', label: 'Signing key', hint: 'The KMS key builds are signed with (pinned on first use); empty: the stack’s.' },
]

export function CloudSettingsForm() {
  const client = useClient()
  const system = useSystemCheckResult()
  const { settings, updateSettings } = useWizard()
  // What the user typed over the saved settings (which arrive after the first render).
  const [edits, setEdits] = useState<Partial<CloudSettings>>({})
  const form: CloudSettings = { ...EMPTY, ...settings?.cloud, ...edits }
  const [check, setCheck] = useState<CloudCheck | null>(null)
  const [busy, setBusy] = useState(false)
  const id = useId()

  const cleaned = (): CloudSettings => Object.fromEntries(Object.entries(form).map(([k, v]) => [k, v?.trim() || null])) as CloudSettings
  const save = async () => {
    await updateSettings({ cloud: cleaned() })
    setEdits({})
    system?.recheck()
  }
  const test = async () => {
    setBusy(true)
    setCheck(null)
    try {
      setCheck(await client.call('cloud.check', { settings: cleaned() }))
    } catch (error) {
      setCheck({ ok: false, error: { code: 'INTERNAL', message: (error as Error).message } })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form
      className="cloud-settings"
      aria-label="Cloud settings"
      onSubmit={(event) => {
        event.preventDefault()
        void save()
      }}
    >
      <p className="small muted">Credentials are never stored here: they come from your AWS setup (environment, ~/.aws profiles, aws sso login).</p>
      {FIELDS.map(({ key, label, hint }) => (
        <div className="field" key={key}>
          <label htmlFor={`${id}-${key}`}>{label}</label>
          <input id={`${id}-${key}`} value={form[key] ?? ''} onChange={(e) => setEdits((f) => ({ ...f, [key]: e.target.value }))} spellCheck={false} aria-describedby={`${id}-${key}-hint`} />
          <p id={`${id}-${key}-hint`} className="small muted">{hint}</p>
        </div>
      ))}
      <div className="row">
        <button type="submit">Save cloud settings</button>
        <button type="button" onClick={() => void test()} disabled={busy}>
          Check connection
        </button>
      </div>
      {busy && <p role="status" className="small">Checking…</p>}
      {check?.ok && (
        <p role="status" className="small">
          Connected: bucket {check.bucket} ({check.region}{check.endpoint ? `, ${check.endpoint}` : ''}).
        </p>
      )}
      {check && !check.ok && (
        <p role="alert" className="error">
          {check.error.code}: {check.error.message}
        </p>
      )}
    </form>
  )
}
