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
    // expect.poll waits for its condition up to 15 s (vitest's default, 1 s, is shorter than a page's
    // request and render take on CI's two shared cores; a condition that holds returns at once).
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
