/** Page object for the Recipe step. Roles and labels only. */
import { expect, type Locator, type Page } from '@playwright/test'

export class RecipePage {
  readonly name: Locator
  readonly imageFile: Locator
  readonly sha256: Locator
  readonly hostname: Locator
  readonly recipeFile: Locator
  readonly check: Locator
  readonly yaml: Locator
  /** The files a build will carry, as core checked them. */
  readonly carried: Locator

  constructor(readonly page: Page) {
    const form = page.getByRole('form', { name: 'Recipe' })
    this.name = form.getByLabel('Recipe name')
    this.imageFile = form.getByLabel('Image file', { exact: true })
    this.sha256 = form.getByLabel('SHA256', { exact: true })
    this.hostname = form.getByLabel('Hostname', { exact: true })
    this.recipeFile = page.getByRole('group', { name: 'Recipe file' }).getByLabel('Recipe file')
    this.check = page.getByRole('status', { name: 'Recipe check' })
    this.yaml = page.getByLabel('Recipe YAML', { exact: true })
    this.carried = page.getByRole('list', { name: 'Carried files' })
  }

  async useLocalImage(file: string): Promise<void> {
    await this.page.getByRole('radio', { name: 'Local file' }).check()
    await this.imageFile.fill(file)
    await this.page.getByRole('button', { name: 'Compute SHA256' }).click()
    await expect(this.sha256).toHaveValue(/^[0-9a-f]{64}$/, { timeout: 60_000 })
  }

  async addUser(name: string, password: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Add user' }).click()
    const user = this.page.getByRole('group', { name: 'User 1' })
    await user.getByLabel('User name').fill(name)
    await user.getByLabel('Password', { exact: true }).fill(password)
    await user.getByRole('button', { name: 'Set password' }).click()
    await expect(user.getByText('Password set')).toBeVisible()
  }

  async saveAs(file: string): Promise<void> {
    await this.recipeFile.fill(file)
    await expect(this.check).toHaveText('The recipe is valid.')
    await this.page.getByRole('button', { name: 'Save recipe' }).click()
    await expect(this.page.getByRole('status').filter({ hasText: `Saved ${file}` })).toBeVisible()
  }

  async showYaml(): Promise<string> {
    await this.page.getByText('Recipe YAML', { exact: true }).click()
    return (await this.yaml.textContent()) ?? ''
  }
}
