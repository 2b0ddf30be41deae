import type { ComponentType } from 'react'
import type { CapabilityId } from '@common/contract'
import { BuildStep } from '../features/build/BuildStep'
import { CardStep } from '../features/card/CardStep'
import { DevicesStep } from '../features/devices/DevicesStep'
import { FactoryStep } from '../features/factory/FactoryStep'
import { FlashStep } from '../features/flash/FlashStep'
import { QuickStep } from '../features/quick/QuickStep'
import { RecipeStep } from '../features/recipe/RecipeStep'

export interface StepDefinition {
  id: string
  title: string
  summary: string
  /** Capabilities this step uses, shown beside it so a missing part is obvious. */
  uses: CapabilityId[]
  component: ComponentType
}

export const STEPS: StepDefinition[] = [
  { id: 'recipe', title: 'Recipe', summary: 'Source image and customizations', uses: [], component: RecipeStep },
  { id: 'build', title: 'Build', summary: 'Quick, local Docker or cloud', uses: ['quickBuild', 'dockerBuild', 'cloud'], component: BuildStep },
  { id: 'devices', title: 'Devices', summary: 'Per-device variables and scripts', uses: [], component: DevicesStep },
  { id: 'flash', title: 'Flash', summary: 'Many cards at once, verified', uses: ['flash'], component: FlashStep },
  { id: 'card', title: 'Card', summary: 'Edit a flashed card', uses: [], component: CardStep },
]

/** The quick path: one screen from a stock image to customised cards. */
export const QUICK: StepDefinition = {
  id: 'quick',
  title: 'Quick flash',
  summary: 'A stock image, everyday settings, straight to the cards',
  uses: ['quickBuild', 'flash'],
  component: QuickStep,
}

/** Factory mode: the devices CSV as a queue, every card reader a slot that starts the next device. */
export const FACTORY: StepDefinition = {
  id: 'factory',
  title: 'Factory',
  summary: 'Every reader its own slot: insert a card, the next device is written',
  uses: ['flash'],
  component: FactoryStep,
}

/** Every screen the hash can name: the wizard's steps, then the quick path and factory mode. */
export const SCREENS: StepDefinition[] = [...STEPS, QUICK, FACTORY]
