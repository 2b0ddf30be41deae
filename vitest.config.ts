import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Unit tests sit beside the code as *.test.ts; tests that start real parts (WebSocket
// servers, Docker, loop devices, qemu, S3) are *.int.test.ts; booting images in QEMU (minutes each)
// is *.boot.test.ts, its own project: `npm run test:boot`.
export default defineConfig({
  // The import alias of tsconfig.base.json's `paths`; each project extends this config for it.
  resolve: { alias: { '@common': fileURLToPath(new URL('electron/common', import.meta.url)) } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['electron/**/*.test.ts', 'builder/**/*.test.ts', 'scripts/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}'],
          exclude: ['**/*.int.test.ts', '**/*.boot.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          environment: 'node',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'boot',
          environment: 'node',
          include: ['**/*.boot.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
