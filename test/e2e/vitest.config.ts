import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: the browser tests (`npm test` runs them after the unit, service and API tests).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    // The same preflight and one web build before the files (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
