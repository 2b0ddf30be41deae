/** Wires core's services into a dispatcher and an event bus. Never imports `electron`. */
import { createDispatcher, type Dispatcher, type DispatcherOptions } from './dispatcher'
import { EventBus } from './events'
import { translateError } from './errors'
import { appInfo, type RuntimeInfo } from './services/app-info'
import { createBuildsService, type BuildsService } from './services/builds'
import { loadRecipeFile, saveRecipeFile, validateRecipe } from './services/recipes'
import { runSystemCheck } from './system/system-check'

export interface CoreOptions extends DispatcherOptions {
  runtime: RuntimeInfo
  /** Where sources and images are cached (default: the user's cache dir). */
  cache?: string
}

export interface Core {
  dispatcher: Dispatcher
  bus: EventBus
  builds: BuildsService
}

export function createCore(options: CoreOptions): Core {
  const bus = new EventBus()
  const builds = createBuildsService(bus, { cache: options.cache })
  const dispatcher = createDispatcher(
    {
      'app.info': () => appInfo(options.runtime),
      'system.check': () => runSystemCheck((checkId, capability, probe) => bus.emit('system.probe', { checkId, capability, probe })),
      'recipes.validate': ({ yaml, baseDir }) => validateRecipe(yaml, baseDir),
      'recipes.load': ({ path }) => loadRecipeFile(path),
      'recipes.save': ({ path, yaml }) => saveRecipeFile(path, yaml),
      'builds.start': (input) => builds.start(input),
      'builds.cancel': (input) => builds.cancel(input),
    },
    { translateError, ...options },
  )
  return { dispatcher, bus, builds }
}
