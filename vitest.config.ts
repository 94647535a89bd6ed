import { defineConfig } from 'vitest/config';
import SlowFilesFirst from './test/sequencer.ts';

// `npm run test:unit`: unit, service and API tests, no browser. `npm test` runs these and then
// the browser tests (test/e2e/vitest.config.ts), after installing the system tools.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/e2e/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for its condition up to 15 s (vitest's default, 1 s, is shorter than a page's
    // request and render take on CI's two shared cores; a condition that holds returns at once).
    expect: { poll: { timeout: 15_000, interval: 100 } },
    // The system tools are checked and the web apps built once, before all files (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts', 'test/db-template-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Each worker process runs many files without re-importing the app for each (the import was
    // about a fifth of the suite's CPU). Every file opens its own database and server, and the
    // suite passes in a shuffled file order (npx vitest run --sequence.shuffle.files) as well.
    isolate: false,
    // The longest files start first, so that none is a tail after the rest (test/sequencer.ts).
    sequence: { sequencer: SlowFilesFirst },
  },
});
