/**
 * Child-process entry: the real app (openPlatform + buildApp, as `yiban serve` builds it)
 * listening on 127.0.0.1 on a free port. The parent forks it so that the load generator
 * and the server do not share one event loop: with both in one process, autocannon's
 * request building and response parsing would sit in the same queue as the handlers and
 * the measured latency would include the generator's own work.
 *
 * Messages from the parent: `counts` (rows in cases and idempotency_keys, read through the
 * server's own connection, which is the only way in to a PGlite folder while it is open)
 * and `stop`.
 */
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { buildApp, openPlatform } from '../../src/platform.ts';
import { benchConfig } from './databases.ts';

export interface ServerProcessConfig {
  databaseUrl: string | undefined;
  dataDir: string;
  masterKey: string;
}

export type ParentMessage = { type: 'counts'; id: number } | { type: 'stop' };
export type ChildMessage =
  { type: 'ready'; port: number } | { type: 'counts'; id: number; cases: number; keys: number } | { type: 'error'; message: string };

function send(message: ChildMessage): void {
  process.send?.(message);
}

const raw = process.env.BENCH_SERVER_CONFIG;
if (!raw) throw new Error('BENCH_SERVER_CONFIG is not set');
const options = JSON.parse(raw) as ServerProcessConfig;
const platform = await openPlatform(benchConfig(options, Buffer.from(options.masterKey, 'base64')));
const app = await buildApp(platform, { logLevel: 'silent' });
await app.listen({ host: '127.0.0.1', port: 0 });

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await app.close();
  await platform.close();
  process.exit(0);
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'stop') {
    void stop();
    return;
  }
  platform.database.db
    .execute<{ cases: number; keys: number }>(
      sql`select (select count(*) from cases)::int as cases, (select count(*) from idempotency_keys)::int as keys`,
    )
    .then(({ rows }) => send({ type: 'counts', id: message.id, cases: Number(rows[0]?.cases), keys: Number(rows[0]?.keys) }))
    .catch((error: unknown) => send({ type: 'error', message: String(error) }));
});
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());

send({ type: 'ready', port: (app.server.address() as AddressInfo).port });
