import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'
import { resolve } from 'node:path'

// The import alias of tsconfig.base.json's `paths`.
const alias = { '@common': resolve('electron/common') }

export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      outDir: 'out/main',
      // The writer is its own process: core starts it with Electron's Node (ELECTRON_RUN_AS_NODE).
      rolldownOptions: { input: { index: resolve('electron/main/index.ts'), writer: resolve('electron/writer/index.ts') } },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require only `electron`: bundle everything else.
      externalizeDeps: false,
      // Sandboxed preloads cannot load ES modules: emit one CommonJS file.
      rolldownOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    resolve: { alias },
    build: {
      outDir: 'out/renderer',
      rolldownOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
})
