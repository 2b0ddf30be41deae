// @vitest-environment jsdom
/** A card's state: "Stop this card" only while that card is under way, and it stops that card. */
import { cleanup, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it } from 'vitest'
import { CardState } from './CardState'
import type { CardProgress } from './useFlash'

afterEach(cleanup)

describe('CardState', () => {
  it.each<CardProgress['phase']>(['starting', 'preparing', 'flashing', 'verifying', 'device-files'])('offers to stop the card while it is %s, naming it', async (phase) => {
    const stopped: string[] = []
    render(<CardState target="/dev/sdz" progress={{ phase, fraction: 0.4 }} onStop={() => stopped.push('/dev/sdz')} />)
    await userEvent.setup().click(screen.getByRole('button', { name: 'Stop this card (/dev/sdz)' }))
    expect(stopped).toEqual(['/dev/sdz'])
  })

  it.each<CardProgress['phase']>(['done', 'failed'])('has nothing to stop once it is %s', (phase) => {
    render(<CardState target="/dev/sdz" progress={{ phase, message: 'cancelled' }} onStop={() => {}} />)
    expect(screen.queryByRole('button')).toBeNull()
  })
})
