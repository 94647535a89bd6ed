/**
 * The issuing side of bench/issuance.ts: approves cases the way a reviewer does — one per
 * transaction (`applications.act`) or in batches (`applications.decideMany`) — and reports the
 * wall time and its own CPU. Runs inside the parent (PGlite, whose folder one process opens) or
 * as a forked worker process (PostgreSQL, one per core), started with BENCH_ISSUANCE_WORKER (the
 * path of its job file).
 *
 * Messages: the worker sends `ready` after logging in and warming up, waits for `go`, sends
 * `done`, and closes its connections at `stop`.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type Services } from '../../src/app.ts';
import { openPlatform } from '../../src/platform.ts';
import type { Principal } from '../../src/modules/identity/principal.ts';
import { benchConfig } from './databases.ts';

export type IssuanceMode = 'single' | 'batch';

export interface IssuanceJob {
  mode: IssuanceMode;
  ids: string[];
  warmIds: string[];
  batchSize: number;
  /** Approvals (single mode) or batches (batch mode) in flight at once in one process. */
  concurrency: number;
}

export interface IssuanceRun {
  seconds: number;
  cpuMs: number;
  approved: number;
  other: Record<string, number>;
}

export interface WorkerConfig {
  databaseUrl: string | undefined;
  dataDir: string;
  masterKey: string;
  username: string;
  password: string;
  job: IssuanceJob;
}

export type WorkerMessage = { type: 'ready' } | { type: 'done'; run: IssuanceRun } | { type: 'error'; message: string };

export async function reviewerPrincipal(services: Services, username: string, password: string): Promise<Principal> {
  const { token } = await services.identity.login({ kind: 'staff', username, password, channel: 'web' });
  const principal = await services.identity.authenticate(token);
  if (!principal) throw new Error('the reviewer has no session');
  return principal;
}

/** Approves `ids`, keeping `concurrency` approvals or batches in flight. */
export async function approveAll(
  services: Services,
  reviewer: Principal,
  job: Pick<IssuanceJob, 'mode' | 'batchSize' | 'concurrency'>,
  ids: string[],
): Promise<IssuanceRun> {
  const other: Record<string, number> = {};
  let approved = 0;
  const count = (outcome: string) => {
    if (outcome === 'approved') approved++;
    else other[outcome] = (other[outcome] ?? 0) + 1;
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  if (job.mode === 'batch') {
    // `concurrency` batches in flight: one is signed (CPU) while another waits for its commit.
    let next = 0;
    await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        while (next < ids.length) {
          const batch = ids.slice(next, (next += job.batchSize));
          for (const r of await services.applications.decideMany(reviewer, { ids: batch, decision: 'approve' })) count(r.outcome);
        }
      }),
    );
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(job.concurrency, ids.length) }, async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          try {
            const c = await services.applications.act(reviewer, id, 'approve');
            count(c.state === 'completed' ? 'approved' : c.state);
          } catch (error) {
            count((error as { code?: string }).code ?? 'error');
          }
        }
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuMs: (used.user + used.system) / 1000, approved, other };
}

/** `file`: the WorkerConfig as JSON, written by the parent. */
async function runWorker(file: string): Promise<void> {
  const config = JSON.parse(readFileSync(file, 'utf8')) as WorkerConfig;
  rmSync(path.dirname(file), { recursive: true, force: true });
  const send = (m: WorkerMessage) => process.send?.(m);
  const platform = await openPlatform(benchConfig(config, Buffer.from(config.masterKey, 'base64')));
  try {
    const reviewer = await reviewerPrincipal(platform.services, config.username, config.password);
    // Warm-up: decrypts the seal key, fills the catalogue cache, opens the pool's connections.
    await approveAll(platform.services, reviewer, config.job, config.job.warmIds);
    const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
    send({ type: 'ready' });
    await go;
    const run = await approveAll(platform.services, reviewer, config.job, config.job.ids);
    // Keep the connections open until told: the parent reads their backends' CPU first.
    const stop = new Promise<void>((resolve) => process.once('message', () => resolve()));
    send({ type: 'done', run });
    await stop;
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  } finally {
    await platform.close();
  }
}

if (process.env.BENCH_ISSUANCE_WORKER) {
  await runWorker(process.env.BENCH_ISSUANCE_WORKER);
  process.disconnect?.();
}
