#!/usr/bin/env node
// The `yiban` command, run from a bundle of the TypeScript sources built and kept fresh by
// bin/bundle.js (through tsx when it cannot be built, or with YIBAN_CLI_BUNDLE=off). `yiban verify`
// has a bundle of its own with its packages inside, so that a check answers in well under a second.
import { runBundled } from './bundle.js';

if (process.argv[2] === 'verify')
  await runBundled({
    name: 'verify',
    source: 'src/cli/verify-main.ts',
    options: {
      // Everything in: one file per chunk loads far faster than hundreds of CommonJS modules (pdf-lib).
      mainFields: ['module', 'main'],
      // Bundled CommonJS (commander) requires node built-ins.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    },
  });
else await runBundled({ name: 'main', source: 'src/cli/main.ts', options: { packages: 'external' } });
