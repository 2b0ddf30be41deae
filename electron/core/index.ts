/** Wires core's services into a dispatcher and an event bus. Never imports `electron`. */
import { createDispatcher, type Dispatcher, type DispatcherOptions } from './dispatcher'
import { EventBus } from './events'
import { appInfo, type RuntimeInfo } from './services/app-info'
import { runSystemCheck } from './system/system-check'

export interface CoreOptions extends DispatcherOptions {
  runtime: RuntimeInfo
}

export interface Core {
  dispatcher: Dispatcher
  bus: EventBus
}

export function createCore(options: CoreOptions): Core {
  const bus = new EventBus()
  const dispatcher = createDispatcher(
    {
      'app.info': () => appInfo(options.runtime),
      'system.check': () => runSystemCheck((checkId, capability, probe) => bus.emit('system.probe', { checkId, capability, probe })),
    },
    options,
  )
  return { dispatcher, bus }
}
