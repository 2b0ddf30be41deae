/** Wires core's services into a dispatcher and an event bus. Never imports `electron`. */
import { createDispatcher, type Dispatcher, type DispatcherOptions } from './dispatcher'
import { EventBus } from './events'
import { translateError } from './errors'
import { appInfo, type RuntimeInfo } from './services/app-info'
import { createBuildsService, type BuildsService } from './services/builds'
import { createCardsService } from './services/cards'
import { createCatalogService } from './services/catalog'
import { createCloudService, type CloudService, type CloudServiceOptions } from './services/cloud'
import { createDrivesService } from './services/drives'
import { createFactoryService, type FactoryServiceOptions } from './services/factory'
import { createFlashService } from './services/flash'
import { createRecordsService } from './services/records'
import { defaultWriterCommand, type WriterCommand } from './services/writer-process'
import { loadRecipeFile, recipeFromYaml, recipeToYaml, saveRecipeFile, validateRecipe } from './services/recipes'
import { checkDevices, parseCsv, toCsv } from './services/devices'
import { hashFile, readText, writeText } from './services/files'
import { listLibrary } from './services/library'
import { sealSecret } from './services/secrets'
import { createSettingsService } from './services/settings'
import { runSystemCheck } from './system/system-check'

export interface CoreOptions extends DispatcherOptions {
  runtime: RuntimeInfo
  /** Where sources and images are cached, flashed images decompressed (default: the user's cache dir). */
  cache?: string
  /** How to start the flashing process (default: electron/writer through tsx). */
  writer?: WriterCommand
  /** The per-card records file (default: in the user's data dir). */
  recordsFile?: string
  /** Where settings are kept (default: the user's data dir). */
  dataDir?: string
  /** How often cloud build statuses are polled (tests shorten it). */
  cloudPoll?: CloudServiceOptions['poll']
  /** Factory mode's test-drives folder and drive-list poll (tests). */
  factory?: Pick<FactoryServiceOptions, 'testDrivesDir' | 'pollMs'>
}

export interface Core {
  dispatcher: Dispatcher
  bus: EventBus
  builds: BuildsService
  cloud: CloudService
  flash: ReturnType<typeof createFlashService>
  factory: ReturnType<typeof createFactoryService>
  cards: ReturnType<typeof createCardsService>
  /** Stops background work (the drive watcher) so the process can exit. */
  stop(): void
}

export function createCore(options: CoreOptions): Core {
  const bus = new EventBus()
  const builds = createBuildsService(bus, { cache: options.cache })
  const writer = options.writer ?? defaultWriterCommand()
  const flash = createFlashService(bus, writer, options.recordsFile, options.cache)
  const factory = createFactoryService(bus, writer, { recordsFile: options.recordsFile, cache: options.cache, ...options.factory })
  const cards = createCardsService(writer, flash.busyDevices)
  const drives = createDrivesService(bus, flash.busyDevices)
  const records = createRecordsService(options.recordsFile)
  const settings = createSettingsService(options.dataDir)
  const cloud = createCloudService(bus, { settings: () => settings.get(), poll: options.cloudPoll })
  const catalog = createCatalogService({ cache: options.cache, bus })
  const dispatcher = createDispatcher(
    {
      'app.info': () => appInfo(options.runtime),
      'system.check': () =>
        runSystemCheck((checkId, capability, probe) => bus.emit('system.probe', { checkId, capability, probe }), { cloud: async () => (await settings.get()).cloud }),
      'recipes.validate': ({ yaml, baseDir }) => validateRecipe(yaml, baseDir),
      'recipes.load': ({ path }) => loadRecipeFile(path),
      'recipes.save': ({ path, yaml }) => saveRecipeFile(path, yaml),
      'builds.start': (input) => builds.start(input),
      'builds.cancel': (input) => builds.cancel(input),
      'drives.list': (input) => drives.list(input),
      'drives.watch': (input) => drives.watch(input),
      // A card step's writer for the same drive ends first: one writer per drive at a time.
      'flash.start': async (input) => {
        for (const target of input.targets) if (target.kind === 'drive') await cards.release(target.device)
        return flash.start(input)
      },
      'flash.cancel': (input) => flash.cancel(input),
      'factory.start': (input) => factory.start(input),
      'factory.pause': () => factory.pause(),
      'factory.resume': () => factory.resume(),
      'factory.stop': (input) => factory.stop(input),
      'factory.stopCard': (input) => factory.stopCard(input),
      'factory.state': () => factory.state(),
      'cards.list': cards.list,
      'cards.read': cards.read,
      'cards.write': cards.write,
      'cards.remove': cards.remove,
      'cards.buildInfo': cards.buildInfo,
      'records.list': () => records.list(),
      'records.export': (input) => records.export(input),
      'recipes.toYaml': ({ data, baseDir }) => recipeToYaml(data, baseDir),
      'recipes.fromYaml': ({ yaml, baseDir }) => recipeFromYaml(yaml, baseDir),
      'secrets.seal': sealSecret,
      'files.sha256': ({ path }) => hashFile(path),
      'files.readText': ({ path }) => readText(path),
      'files.writeText': ({ path, content }) => writeText(path, content),
      'devices.parseCsv': ({ text }) => parseCsv(text),
      'devices.toCsv': ({ devices }) => toCsv(devices),
      'devices.check': ({ devices }) => checkDevices(devices),
      'settings.get': () => settings.get(),
      'settings.set': (changes) => settings.set(changes),
      'library.list': async ({ dir }) => listLibrary(dir ?? (await settings.get()).outDir),
      'cloud.check': (input) => cloud.check(input),
      'cloud.start': (input) => cloud.start(input),
      'cloud.list': () => cloud.list(),
      'cloud.download': (input) => cloud.download(input),
      'cloud.cancel': (input) => cloud.cancel(input),
      'catalog.list': (input) => catalog.list(input),
      'catalog.download': (input) => catalog.download(input),
      'catalog.cancel': (input) => catalog.cancel(input),
    },
    { translateError, ...options },
  )
  return {
    dispatcher,
    bus,
    builds,
    cloud,
    flash,
    factory,
    cards,
    stop: () => {
      drives.stop()
      void cards.release()
    },
  }
}
