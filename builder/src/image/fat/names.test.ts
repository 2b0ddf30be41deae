import { describe, expect, it } from 'vitest'
import { lfnEntries, lfnPart } from './entry'
import {
  LOWER_BASE,
  LOWER_EXT,
  basisName,
  displayShortName,
  exactShortName,
  isValidLongName,
  lfnChecksum,
  rawShort,
  shortNameFor,
} from './names'

const none = new Set<string>()

describe('lfnChecksum', () => {
  it('matches the checksum mtools wrote for FIRST_~1.SH', () => {
    expect(lfnChecksum('FIRST_~1SH ')).toBe(0x7e)
    expect(lfnChecksum(Buffer.from('FIRST_~1SH ', 'latin1'))).toBe(0x7e)
  })

  it('depends on every byte and its position', () => {
    expect(lfnChecksum('README  TXT')).not.toBe(lfnChecksum('README  TXU'))
    expect(lfnChecksum('AB         ')).not.toBe(lfnChecksum('BA         '))
  })
})

describe('exactShortName', () => {
  it('takes uppercase 8.3 names as they are', () => {
    expect(exactShortName('KERNEL8.IMG')).toEqual({ raw: 'KERNEL8 IMG', caseFlags: 0, needsLfn: false })
    expect(exactShortName('SSH')).toEqual({ raw: 'SSH        ', caseFlags: 0, needsLfn: false })
  })

  it('stores all-lowercase parts with the NT case flags instead of an LFN', () => {
    expect(exactShortName('config.txt')).toEqual({ raw: 'CONFIG  TXT', caseFlags: LOWER_BASE | LOWER_EXT, needsLfn: false })
    expect(exactShortName('README.md')).toEqual({ raw: 'README  MD ', caseFlags: LOWER_EXT, needsLfn: false })
    expect(exactShortName('bcm2711-rpi-4-b.dtb')).toBeNull() // too long
  })

  it('refuses mixed case, characters 8.3 cannot hold, two dots, a trailing dot', () => {
    for (const name of ['Config.txt', 'a+b.txt', 'a b', 'a.b.c', '.bashrc', 'x.', 'toolongname', 'a.long']) {
      expect(exactShortName(name), name).toBeNull()
    }
  })
})

describe('basisName', () => {
  it('uppercases, drops spaces and embedded dots, maps invalid characters to _', () => {
    expect(basisName('first_run_setup.sh')).toEqual({ base: 'FIRST_RU', ext: 'SH', lossy: true })
    expect(basisName('my file.tar.gz')).toEqual({ base: 'MYFILETA', ext: 'GZ', lossy: true })
    expect(basisName('a+b=c.txt')).toEqual({ base: 'A_B_C', ext: 'TXT', lossy: true })
    expect(basisName('.bashrc')).toEqual({ base: 'BASHRC', ext: '', lossy: true })
    expect(basisName('Config.txt')).toEqual({ base: 'CONFIG', ext: 'TXT', lossy: false })
    expect(basisName('résumé.doc')).toEqual({ base: 'R_SUM_', ext: 'DOC', lossy: true })
  })
})

describe('shortNameFor', () => {
  it('adds ~N only when the basis is lossy or taken', () => {
    expect(shortNameFor('Config.txt', none)).toEqual({ raw: 'CONFIG  TXT', caseFlags: 0, needsLfn: true })
    expect(shortNameFor('Config.txt', new Set(['CONFIG  TXT'])).raw).toBe('CONFIG~1TXT')
    expect(shortNameFor('first_run_setup.sh', none)).toEqual({ raw: 'FIRST_~1SH ', caseFlags: 0, needsLfn: true })
  })

  it('counts the tail up, shortening the base to keep 8 characters', () => {
    const taken = new Set<string>()
    const made: string[] = []
    for (let i = 1; i <= 120; i++) {
      const short = shortNameFor(`longname-${String(i).padStart(4, '0')}.sh`, taken)
      taken.add(short.raw)
      made.push(short.raw)
    }
    expect(made[0]).toBe('LONGNA~1SH ')
    expect(made[8]).toBe('LONGNA~9SH ')
    expect(made[9]).toBe('LONGN~10SH ')
    expect(made[99]).toBe('LONG~100SH ')
    expect(new Set(made).size).toBe(120)
  })

  it('falls back to an alias when the exact 8.3 name is already some entry\'s alias', () => {
    expect(shortNameFor('CONFIG.TXT', new Set([rawShort('CONFIG', 'TXT')])).raw).toBe('CONFIG~1TXT')
  })
})

describe('names', () => {
  it('rejects what FAT long names cannot hold', () => {
    const bad = ['', '.', '..', 'a/b', 'a\\b', 'a:b', 'a*b', 'a?b', 'a"b', 'a<b', 'a>b', 'a|b', 'a\x01b']
    bad.push('trailing.', 'space ', 'x'.repeat(256))
    for (const name of bad) {
      expect(isValidLongName(name), JSON.stringify(name)).toBe(false)
    }
    for (const good of ['first_run_setup.sh', '.hidden', 'a+b;c=d[e]', 'x'.repeat(255), 'résumé', '日本語.txt']) {
      expect(isValidLongName(good), good).toBe(true)
    }
  })

  it('shows short names with the NT case flags applied', () => {
    expect(displayShortName('CONFIG  TXT', LOWER_BASE | LOWER_EXT)).toBe('config.txt')
    expect(displayShortName('README  MD ', LOWER_EXT)).toBe('README.md')
    expect(displayShortName('SSH        ', 0)).toBe('SSH')
    expect(displayShortName('\x05BC     TXT', 0)).toBe('\xe5BC.TXT')
  })

  it('splits a long name into 13-unit LFN entries, last first, terminated then padded', () => {
    const name = 'first_run_setup.sh' // 18 units: two entries
    const entries = lfnEntries(name, 0x7e)
    expect(entries.map((e) => e[0])).toEqual([0x42, 0x01])
    expect(entries.every((e) => e[11] === 0x0f && e[13] === 0x7e)).toBe(true)
    expect(lfnPart(entries[1]!).text + lfnPart(entries[0]!).text).toBe(name)
    // Part 2 holds 'up.sh' (units 1, 3, 5, 7, 9), then the 0x0000 terminator (unit 14), then 0xFFFF padding.
    expect(entries[0]!.toString('utf16le', 1, 11)).toBe('up.sh')
    expect(entries[0]!.readUInt16LE(14)).toBe(0)
    expect([16, 18, 20, 22, 24, 28, 30].map((at) => entries[0]!.readUInt16LE(at))).toEqual(Array(7).fill(0xffff))
    expect(lfnEntries('x'.repeat(13), 1)).toHaveLength(1)
    expect(lfnPart(lfnEntries('x'.repeat(13), 1)[0]!)).toEqual({ text: 'x'.repeat(13), terminated: false })
  })
})
