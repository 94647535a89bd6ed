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
    // Two files at a time: much of a browser test is waiting (a page's render, an idle logout), so
    // two overlap on two cores (the phase took 424 s instead of 586 s on CI's machine, every test
    // passing). Each file has its own server on its own port, its own database and its own pages.
    maxWorkers: 2,
    fileParallelism: true,
    // expect.poll waits for its condition up to 15 s (vitest's default, 1 s, is shorter than a page's
    // request and render take on CI's two shared cores; a condition that holds returns at once).
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
