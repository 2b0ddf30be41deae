import { describe, expect, it } from 'vitest'
import { parseDpkgStatus } from './installed-packages'

const STATUS = `Package: zlib1g
Status: install ok installed
Architecture: arm64
Multi-Arch: same
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime
 Package: not-a-package
 Version: 9

Package: hello
Status: install ok installed
Architecture: arm64
Version: 2.10-3

Package: removed-one
Status: deinstall ok config-files
Architecture: arm64
Version: 1.0-1

Package: zlib1g
Status: hold ok installed
Architecture: armhf
Version: 1:1.2.13.dfsg-1
`

describe('parseDpkgStatus', () => {
  it('lists installed packages as name:arch → version, sorted, leaving out removed ones and description lines', () => {
    expect(parseDpkgStatus(STATUS)).toEqual({ 'hello:arm64': '2.10-3', 'zlib1g:arm64': '1:1.2.13.dfsg-1', 'zlib1g:armhf': '1:1.2.13.dfsg-1' })
    expect(Object.keys(parseDpkgStatus(STATUS))).toEqual(['hello:arm64', 'zlib1g:arm64', 'zlib1g:armhf'])
  })

  it('gives nothing for an empty database', () => {
    expect(parseDpkgStatus('')).toEqual({})
  })
})
