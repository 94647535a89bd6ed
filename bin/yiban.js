#!/usr/bin/env node
// The `yiban` command. `yiban verify` runs from a precompiled bundle (bin/verify-entry.js) so that a
// check answers quickly; everything else runs from a bundle of the TypeScript sources built and kept
// fresh by bin/cli-entry.js (through tsx when it cannot be built, or with YIBAN_CLI_BUNDLE=off).
if (process.argv[2] === 'verify') {
  const { runVerify } = await import('./verify-entry.js');
  await runVerify();
} else {
  const { runCli } = await import('./cli-entry.js');
  await runCli();
}
