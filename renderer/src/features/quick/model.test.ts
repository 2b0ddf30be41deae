import { describe, expect, it } from 'vitest'
import { chosenSettings, emptyQuick, quickRecipe } from './model'

const image = { path: '/img/raspios.img.xz', sha256: 'a'.repeat(64), bytes: 1, arch: 'armhf' as const, label: 'raspios.img.xz' }

describe('the quick path as a recipe', () => {
  it('is a plain copy when nothing is chosen: the blank user (sudo only) is not a user', () => {
    expect(chosenSettings(emptyQuick().settings)).toEqual({})
    expect(chosenSettings({ users: [{ name: '', sudo: true, sshKeys: [] }], system: { hostname: '' } })).toEqual({})
  })

  it('keeps a user as soon as anything of it is given, with sudo', () => {
    expect(chosenSettings({ users: [{ name: 'pi', sudo: true }] })).toEqual({ users: [{ name: 'pi', sudo: true }] })
    expect(chosenSettings({ users: [{ name: '', sudo: true, sshKeys: ['ssh-ed25519 AAAA'] }] })).toEqual({ users: [{ sudo: true, sshKeys: ['ssh-ed25519 AAAA'] }] })
  })

  it('names the chosen image as its source, with its arch, and carries the settings at their recipe paths', () => {
    const recipe = quickRecipe(image, { system: { hostname: 'pi-{{serial}}', timezone: '' }, wifi: { ssid: 'home', psk: 'b'.repeat(64), country: 'GB' } })
    expect(recipe).toMatchObject({
      name: 'quick-flash',
      arch: 'armhf',
      source: { path: '/img/raspios.img.xz', sha256: 'a'.repeat(64) },
      system: { hostname: 'pi-{{serial}}' },
      wifi: { ssid: 'home', country: 'GB' },
    })
    expect(recipe.system).not.toHaveProperty('timezone')
  })
})
