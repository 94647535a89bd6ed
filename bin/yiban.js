#!/usr/bin/env node
// The `yiban` command. `yiban verify` runs from a precompiled bundle (bin/verify-entry.js) so that a
// check answers quickly; everything else runs the TypeScript sources through tsx.
if (process.argv[2] === 'verify') {
  const { runVerify } = await import('./verify-entry.js');
  await runVerify();
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
