/** The queue: devices waiting (a failed or pulled card's device waits again), being written, done; cards per hour. */
import type { FactoryQueue } from '@common/contract'

export function FactoryQueueView({ queue }: { queue: FactoryQueue }) {
  const waiting = queue.entries.filter((e) => e.status === 'pending')
  const writing = queue.entries.filter((e) => e.status === 'writing')
  const done = queue.entries.filter((e) => e.status === 'done')
  const failed = queue.entries.filter((e) => e.status !== 'done' && e.lastError)
  return (
    <section aria-labelledby="factory-queue-title" className="factory-queue">
      <h3 id="factory-queue-title">Queue</h3>
      <p aria-label="Queue summary">
        {queue.done} of {queue.total} done · {queue.writing} writing · {queue.pending} waiting
        {queue.paused && ' · paused'}
        {queue.cardsPerHour !== null && ` · ${Math.round(queue.cardsPerHour)} cards per hour`}
      </p>
      <div className="factory-lists">
        <List title="Waiting" names={waiting.map((e) => e.hostname + (e.lastError ? ' (again)' : ''))} />
        <List title="Writing" names={writing.map((e) => `${e.hostname} on ${e.drive ?? '?'}`)} />
        <List title="Done" names={done.map((e) => e.hostname)} />
        <List title="Failed" names={failed.map((e) => `${e.hostname}: ${e.lastError}`)} />
      </div>
    </section>
  )
}

function List({ title, names }: { title: string; names: string[] }) {
  return (
    <div>
      <h4>
        {title} ({names.length})
      </h4>
      <ul aria-label={title}>
        {names.map((name) => (
          <li key={name}>{name}</li>
        ))}
      </ul>
    </div>
  )
}
