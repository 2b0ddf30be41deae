import { describe, expect, it } from 'vitest'
import { cloudRegion, cloudTarget } from '../system/cloud-probes'
import { normalizeCloud, resolveTarget } from './cloud'

const none = { region: null, profile: null, bucket: null, stack: null, endpoint: null }

describe('cloud service, pure parts', () => {
  it('treats blank settings as unset', () => {
    expect(normalizeCloud({ ...none, region: '  ', bucket: ' b ' })).toEqual({ region: undefined, profile: undefined, bucket: 'b', stack: undefined, endpoint: undefined })
  })

  it('needs a bucket, or a stack outside custom endpoints', async () => {
    await expect(resolveTarget(none)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('No cloud bucket or stack') })
    await expect(resolveTarget({ ...none, stack: 'orchard', endpoint: 'http://127.0.0.1:9' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('give the bucket name') })
    expect(await cloudTarget({ ...none, stack: 'orchard' })).toMatchObject({ ok: true, detail: 'Stack orchard (its BucketName output)' })
    expect(await cloudTarget({ ...none, stack: 'orchard', endpoint: 'http://x' })).toMatchObject({ ok: false })
    expect(await cloudTarget(none)).toMatchObject({ ok: false, fix: expect.stringContaining('cloud settings') })
  })

  it("takes the settings' region before the environment's", async () => {
    expect(await cloudRegion({ ...none, region: 'eu-north-1' }, {})).toMatchObject({ ok: true, detail: 'eu-north-1 (cloud settings)' })
    expect(await cloudRegion(none, { AWS_REGION: 'ap-south-1' })).toMatchObject({ ok: true, detail: 'ap-south-1 (from the environment)' })
    expect(await cloudRegion(none, { AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' })).toMatchObject({ ok: false })
  })
})
