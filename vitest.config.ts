import { defineConfig } from 'vitest/config'

// Unit tests sit beside the code as *.test.ts; tests that start real parts (WebSocket
// servers, Docker, loop devices, qemu, S3) are *.int.test.ts; booting images in QEMU (minutes each)
// is *.boot.test.ts, its own project: `npm run test:boot`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['electron/**/*.test.ts', 'builder/**/*.test.ts', 'scripts/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}'],
          exclude: ['**/*.int.test.ts', '**/*.boot.test.ts', '**/node_modules/**'],
        },
      },
      {
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
