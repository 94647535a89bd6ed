import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: the browser tests alone (they also run inside `npm test`).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
