/**
 * A server process for the ledger crash test: it runs the sequencer (as `yiban serve` does) and
 * `writers` concurrent writers, each queueing one entry per transaction and printing `ack <id>`
 * once the transaction has committed. It runs until it is killed.
 *
 *   node --import tsx test/crash/ledger-worker.ts <postgres URL | PGlite folder> <tag> <writers>
 */
import { openCrashPlatform } from './crash-platform.ts';

const [target, tag, writersArg] = process.argv.slice(2);
if (!target || !tag) throw new Error('usage: ledger-worker.ts <target> <tag> [writers]');
const platform = await openCrashPlatform(target);
const { ledger } = platform.services;
ledger.startSequencer({
  intervalMs: 10,
  checkpointIntervalMs: 50,
  onError: (error) => process.stderr.write(`sequencer: ${String(error)}\n`),
});
process.stdout.write('ready\n');
let n = 0;
await Promise.all(
  Array.from({ length: Number(writersArg ?? 8) }, async () => {
    for (;;) {
      const data = new TextEncoder().encode(`crash ${tag} ${n++}`);
      const { id } = await platform.database.db.transaction((tx) => ledger.appendInTx(tx, { kind: 'crash.entry', data }));
      process.stdout.write(`ack ${id}\n`);
    }
  }),
);
