// @vitest-environment jsdom
/** The recipe form against a real core: each problem from the builder's schema appears at its field. */
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { cleanup, render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Client } from '@common/client'
import { startCoreClient } from '../../../../e2e/launchers/core-client'
import { ClientProvider } from '../../client/context'
import { WizardProvider } from '../../state/wizard'
import { description, invalid } from '../../testing/dom'
import { RecipeStep } from './RecipeStep'

// The real core in its own process, over the bridge: jsdom's globals (URL, …) stay out of Node code.
let dir: string
let core: Awaited<ReturnType<typeof startCoreClient>>
let client: Client

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-recipe-form-'))
  core = await startCoreClient({ ORCHARD_DATA_DIR: path.join(dir, 'data') })
  client = core.client
}, 30_000)
afterEach(cleanup)
afterAll(async () => {
  await core?.stop()
  await rm(dir, { recursive: true, force: true })
})

function renderStep() {
  render(
    <ClientProvider client={client}>
      <WizardProvider>
        <RecipeStep />
      </WizardProvider>
    </ClientProvider>,
  )
  return userEvent.setup()
}

describe('the recipe form', () => {
  it('shows the schema problem of a field once it is touched, and clears it when fixed', async () => {
    const user = renderStep()
    const name = screen.getByLabelText('Recipe name')
    await user.type(name, 'bad name!')
    await waitFor(() => expect(invalid(name)).toBe(true))
    expect(description(name)).toMatch(/must be letters, digits, "\.", "_" or "-"/)
    // Untouched fields keep quiet until a save is attempted.
    expect(invalid(screen.getByLabelText('SHA256', { selector: 'input' }))).toBe(false)

    await user.clear(name)
    await user.type(name, 'good-name')
    await waitFor(() => expect(invalid(name)).toBe(false))
  })

  it('marks an invalid hostname and a malformed SSH key inline', async () => {
    const user = renderStep()
    const hostname = screen.getByLabelText('Hostname')
    await user.type(hostname, 'Not_A_Host')
    await waitFor(() => expect(description(hostname)).toMatch(/must be 1–63 lowercase letters, digits or hyphens/))

    await user.click(screen.getByRole('button', { name: 'Add user' }))
    const keys = screen.getByLabelText('SSH public keys')
    await user.type(keys, 'ssh-ed25519 not-base64!')
    await waitFor(() => expect(description(keys)).toMatch(/is not an OpenSSH public key/))
  })

  it('refuses to save an invalid recipe, listing every problem with its path', async () => {
    const user = renderStep()
    await user.click(screen.getByRole('radio', { name: 'Local file' }))
    await user.type(screen.getByLabelText('Image file'), path.join(dir, 'missing.img'))
    await user.type(screen.getByRole('textbox', { name: 'Recipe file' }), path.join(dir, 'never.yml'))
    await waitFor(() => expect(screen.getByRole('status', { name: 'Recipe check' }).textContent).toMatch(/problems? to fix/))
    await user.click(screen.getByRole('button', { name: 'Save recipe' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/Not saved: the recipe has \d+ problems?/)
    const problems = screen.getByRole('list', { name: 'Recipe problems' })
    expect(problems.textContent).toContain('name:')
    expect(problems.textContent).toContain('source.sha256: is required')
    // After a save attempt every field shows its problem.
    expect(invalid(screen.getByLabelText('SHA256', { selector: 'input' }))).toBe(true)
    await expect(readFile(path.join(dir, 'never.yml'))).rejects.toThrow()
  })

  it('seals a typed wifi passphrase into its PSK, refusing one that is too short', async () => {
    const user = renderStep()
    await user.click(screen.getByLabelText('Configure wifi'))
    await user.type(screen.getByLabelText('Network name (SSID)'), 'Greenhouse')
    const passphrase = screen.getByLabelText('Wifi passphrase')
    await user.type(passphrase, 'short')
    await user.click(screen.getByRole('button', { name: 'Set wifi passphrase' }))
    await waitFor(() => expect(description(passphrase)).toContain('The wifi passphrase must be 8 to 63 characters'))
    await user.clear(passphrase)
    await user.type(passphrase, 'correct horse battery staple')
    await user.click(screen.getByRole('button', { name: 'Set wifi passphrase' }))
    expect(await screen.findByText('Passphrase set (stored as its WPA key).')).toBeTruthy()
  })

  it('saves a valid recipe with a local source whose SHA256 core computed', async () => {
    const user = renderStep()
    const image = path.join(dir, 'source.img')
    await writeFile(image, Buffer.alloc(4096, 1))
    await user.type(screen.getByLabelText('Recipe name'), 'form-test')
    await user.click(screen.getByRole('radio', { name: 'Local file' }))
    await user.type(screen.getByLabelText('Image file'), image)
    await user.click(screen.getByRole('button', { name: 'Compute SHA256' }))
    const sha = createHash('sha256').update(Buffer.alloc(4096, 1)).digest('hex')
    await waitFor(() => expect((screen.getByLabelText('SHA256', { selector: 'input' }) as HTMLInputElement).value).toBe(sha))
    const file = path.join(dir, 'saved.yml')
    await user.type(screen.getByRole('textbox', { name: 'Recipe file' }), file)
    await waitFor(() => expect(screen.getByRole('status', { name: 'Recipe check' }).textContent).toBe('The recipe is valid.'))
    await user.click(screen.getByRole('button', { name: 'Save recipe' }))
    expect(await screen.findByText(`Saved ${file}`)).toBeTruthy()
    expect(await readFile(file, 'utf8')).toContain(`sha256: ${sha}`)
  })

  it('lists the files a build will carry, and refuses a script outside the recipe folder at its field', async () => {
    const user = renderStep()
    const project = path.join(dir, 'carried')
    await mkdir(project)
    const image = path.join(project, 'base.img')
    await writeFile(image, Buffer.alloc(4096, 2))
    await writeFile(path.join(dir, 'stolen.sh'), 'cat /etc/shadow\n')
    await user.type(screen.getByLabelText('Recipe name'), 'carried')
    await user.click(screen.getByRole('radio', { name: 'Local file' }))
    await user.type(screen.getByLabelText('Image file'), image)
    await user.click(screen.getByRole('button', { name: 'Compute SHA256' }))
    // The last test's saved path is remembered: replace it.
    await user.clear(screen.getByRole('textbox', { name: 'Recipe file' }))
    await user.type(screen.getByRole('textbox', { name: 'Recipe file' }), path.join(project, 'recipe.yml'))
    // The path is typed a key at a time: wait for the list of the whole path.
    await waitFor(() => expect(screen.getByRole('list', { name: 'Carried files' }).textContent).toBe(`source.path ${image} (4.1 kB)`), { timeout: 10_000 })

    const scripts = screen.getByLabelText('First-boot scripts')
    await user.type(scripts, '../stolen.sh')
    await waitFor(() => expect(description(scripts)).toContain("is outside the recipe's folder"), { timeout: 10_000 })
    expect(screen.queryByRole('list', { name: 'Carried files' })).toBeNull()
  }, 30_000)

  it('brings back the last draft, but never over what the user typed before core answered', async () => {
    await client.call('settings.set', { lastRecipeYaml: 'name: restored-draft\n' })
    // The real core, its answer to restoring the draft held back until the user has typed.
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const slow: Client = { ...client, call: async (method, input) => {
      const answer = client.call(method, input)
      if (method === 'recipes.fromYaml') await held
      return answer
    } }
    render(
      <ClientProvider client={slow}>
        <WizardProvider>
          <RecipeStep />
        </WizardProvider>
      </ClientProvider>,
    )
    const name = screen.getByLabelText('Recipe name') as HTMLInputElement
    await userEvent.setup().type(name, 'typed-first')
    release()
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(name.value).toBe('typed-first')

    cleanup()
    renderStep()
    // Nothing typed: the last draft is back (the one just typed, saved a second after the change, or the restored one).
    await waitFor(() => expect((screen.getByLabelText('Recipe name') as HTMLInputElement).value).toMatch(/^(typed-first|restored-draft)$/), { timeout: 5000 })
  })
})
