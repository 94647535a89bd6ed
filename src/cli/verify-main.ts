/**
 * The `yiban verify` command on its own: what bin/yiban.js runs (from a precompiled bundle) when
 * the first argument is `verify`, so that a check does not load the server, the database drivers
 * or tsx. The full CLI (main.ts) registers the same command.
 */
import { Command } from 'commander';
import { registerVerifyCommand } from './verify-command.ts';

const program = new Command();
program.name('yiban').description('一办 Yiban: 核验证明 verify a certificate').version('0.1.0');
registerVerifyCommand(program);
await program.parseAsync(process.argv);
