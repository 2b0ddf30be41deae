import { describe, expect, it } from 'vitest'
import { buildInfoSource, shareableSourceUrl } from './buildinfo'

describe('shareableSourceUrl', () => {
  it.each([
    ['https://downloads.example.org/os/2025-05-13-raspios.img.xz', 'https://downloads.example.org/os/2025-05-13-raspios.img.xz'],
    ['https://me:hunter2@example.org/os.img.xz', 'https://example.org/os.img.xz (user info removed)'],
    [
      'https://bucket.s3.amazonaws.com/os.img.xz?X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=deadbeef',
      'https://bucket.s3.amazonaws.com/os.img.xz (query removed)',
    ],
    ['https://example.org/os.img.xz#token=abc', 'https://example.org/os.img.xz (fragment removed)'],
    ['https://u:p@example.org/os.img.xz?sig=1#t', 'https://example.org/os.img.xz (user info, query and fragment removed)'],
    ['https://example.org/os.img.xz?', 'https://example.org/os.img.xz (query removed)'],
    ['s3://key:secret@bucket/images/os.img.xz?versionId=1', 's3://bucket/images/os.img.xz (user info and query removed)'],
  ])('%s → %s', (url, shown) => {
    expect(shareableSourceUrl(url)).toBe(shown)
  })

  it('shows no part of a URL it cannot read', () => {
    expect(shareableSourceUrl('not a url hunter2')).toBe('(not a readable URL: left out)')
  })
})

describe('buildInfoSource', () => {
  it('carries a source URL without its credentials, and leaves the recipe as it was', () => {
    const recipeSource = { url: 'https://me:hunter2@example.org/os.img.xz?X-Amz-Signature=deadbeef', sha256: 'a'.repeat(64) }
    const source = buildInfoSource(recipeSource, '/unused', recipeSource.sha256)
    expect(source).toEqual({ url: 'https://example.org/os.img.xz (user info and query removed)', sha256: 'a'.repeat(64) })
    expect(JSON.stringify(source)).not.toMatch(/hunter2|deadbeef/)
    expect(recipeSource.url).toBe('https://me:hunter2@example.org/os.img.xz?X-Amz-Signature=deadbeef')
  })

  it('carries a local source as its resolved path', () => {
    expect(buildInfoSource({}, '/images/os.img', 'b'.repeat(64))).toEqual({ path: '/images/os.img', sha256: 'b'.repeat(64) })
  })
})
