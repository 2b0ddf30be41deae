import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { RC_LOCAL_LINE, ROOTFS_DIR, RUNNER_PATH, UNIT_NAME, rcLocalWithHook } from './runner-files'

const DEBIAN_RC_LOCAL = `#!/bin/sh -e
#
# rc.local
#
# Print the IP address
_IP=$(hostname -I) || true
if [ "$_IP" ]; then
  printf "My IP address is %s\\n" "$_IP"
fi

exit 0
`

describe('rootfs files', () => {
  it('ROOTFS_DIR holds the runner (executable) and the unit that starts it', () => {
    const runner = path.join(ROOTFS_DIR, RUNNER_PATH)
    expect(statSync(runner).mode & 0o111).not.toBe(0)
    expect(readFileSync(runner, 'utf8').startsWith('#!/bin/sh\n')).toBe(true)
    const unit = readFileSync(path.join(ROOTFS_DIR, 'etc/systemd/system', UNIT_NAME), 'utf8')
    expect(unit).toContain(`ExecStart=${RUNNER_PATH}\n`)
    expect(existsSync(path.join(ROOTFS_DIR, 'README.md'))).toBe(true)
  })

  it('the rc.local line is bounded, skipped under systemd and cannot fail rc.local', () => {
    expect(RC_LOCAL_LINE).toContain(RUNNER_PATH)
    expect(RC_LOCAL_LINE).toMatch(/^\[ -d \/run\/systemd\/system \] \|\| timeout /)
    expect(RC_LOCAL_LINE.endsWith('|| true')).toBe(true)
    expect(RC_LOCAL_LINE).not.toContain('\n')
  })
})

describe('rcLocalWithHook', () => {
  it('creates a standard rc.local when there is none (or it is blank)', () => {
    const created = rcLocalWithHook(null)
    expect(created.startsWith('#!/bin/sh -e\n')).toBe(true)
    expect(created.endsWith(`\n${RC_LOCAL_LINE}\n\nexit 0\n`)).toBe(true)
    expect(rcLocalWithHook('  \n')).toBe(created)
  })

  it('inserts the hook right before the final exit 0 and keeps everything else', () => {
    const hooked = rcLocalWithHook(DEBIAN_RC_LOCAL)
    expect(hooked).toBe(DEBIAN_RC_LOCAL.replace(/\nexit 0\n$/, `\n${RC_LOCAL_LINE}\nexit 0\n`))
  })

  it('is idempotent', () => {
    for (const start of [null, DEBIAN_RC_LOCAL, '#!/bin/sh\necho hi\n', '#!/bin/sh\r\nexit 0\r\n']) {
      const once = rcLocalWithHook(start)
      expect(rcLocalWithHook(once)).toBe(once)
      expect(once.split(RC_LOCAL_LINE)).toHaveLength(2)
    }
  })

  it('ignores an indented exit 0 inside a block and appends when there is no exit 0', () => {
    const guarded = '#!/bin/sh -e\nif [ -e /etc/nologin ]; then\n  exit 0\nfi\n'
    expect(rcLocalWithHook(guarded)).toBe(`${guarded}${RC_LOCAL_LINE}\n`)
    expect(rcLocalWithHook('#!/bin/sh\necho hi')).toBe(`#!/bin/sh\necho hi\n${RC_LOCAL_LINE}\n`)
  })

  it('uses the first exit 0, where the script ends, and copes with CRLF line ends', () => {
    expect(rcLocalWithHook('#!/bin/sh\r\nexit 0\r\n')).toBe(`#!/bin/sh\r\n${RC_LOCAL_LINE}\nexit 0\r\n`)
    const twice = '#!/bin/sh\nexit 0\necho unreachable\nexit 0\n'
    expect(rcLocalWithHook(twice)).toBe(`#!/bin/sh\n${RC_LOCAL_LINE}\nexit 0\necho unreachable\nexit 0\n`)
  })
})
