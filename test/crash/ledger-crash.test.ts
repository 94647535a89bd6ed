import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/db/database.ts';
import { verifyConsistency } from '../../src/verify/merkle.ts';
import { crashBound, crashSeed, seededRandom } from './seeded-random.ts';
import { openCrashPlatform } from './crash-platform.ts';

/**
 * Issue 11's crash test: server processes (a sequencer and 8 writers each; two processes at once
 * on PostgreSQL, racing for the sequencer lock) are killed with SIGKILL at random moments while
 * entries are queued. Afterwards every acknowledged entry is sequenced exactly once, the indexes
 * are gap-free, the audit passes, and every checkpoint published before a kill is consistent
 * with the final one.
 *
 * LEDGER_CRASH_KILLS (default 2; 4 with YIBAN_LONG_TESTS=1) bounds the rounds; LEDGER_CRASH_SEED replays a run (the seed is
 * printed).
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORKER = 'test/crash/ledger-worker.ts';
const KILLS = crashBound('LEDGER_CRASH_KILLS', 2, 4);
const SEED = crashSeed('LEDGER_CRASH_SEED');
const START_TIMEOUT = 90_000;
const engines: Engine[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
const live = new Set<ChildProcess>();

afterAll(() => {
  for (const child of live) child.kill('SIGKILL');
});

interface Worker {
  child: ChildProcess;
  acks: number[];
  /** Resolves true once `test` holds for the worker's output, false if it exits first or time runs out. */
  until(test: () => boolean, timeoutMs: number): Promise<boolean>;
  exited: Promise<void>;
  stderr: () => string;
}

function startWorker(target: string, tag: string, acked: Set<number>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, target, tag, '8'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const acks: number[] = [];
  let ready = false;
  let pending = '';
  let stderr = '';
  const checks = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') ready = true;
      else if (line.startsWith('ack ')) {
        const id = Number(line.slice(4));
        acks.push(id);
        acked.add(id);
      }
    }
    for (const check of checks) check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      live.delete(child);
      for (const check of checks) check();
      resolve();
    }),
  );
  return {
    child,
    acks,
    stderr: () => stderr,
    exited,
    until(test, timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => done(false), timeoutMs);
        const done = (ok: boolean) => {
          clearTimeout(timer);
          checks.delete(check);
          resolve(ok);
        };
        const check = () => {
          if (ready && test()) done(true);
          else if (child.exitCode !== null || child.signalCode !== null) done(false);
        };
        checks.add(check);
        check();
      });
    },
  };
}

async function freshTarget(engine: Engine): Promise<{ target: string; drop(): Promise<void> }> {
  if (engine === 'pglite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-ledger-crash-'));
    return { target: path.join(dir, 'pgdata'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const base = process.env.DATABASE_URL!;
  const name = `yiban_ledger_crash_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    target: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

describe.each(engines)('ledger crash on %s', (engine) => {
  it(
    'loses no acknowledged entry, sequences none twice, and keeps checkpoints consistent across kill -9',
    async () => {
      console.log(`ledger crash seed ${SEED} (LEDGER_CRASH_SEED=${SEED} replays it), ${KILLS} kills on ${engine}`);
      const next = seededRandom(SEED);
      const fresh = await freshTarget(engine);
      const target = fresh.target;
      const acked = new Set<number>();
      const published: { size: number; rootHash: Uint8Array }[] = [];
      try {
        // The first open migrates and creates the log key, before processes race for it.
        const first = await openCrashPlatform(target);
        await first.services.ledger.latestCheckpoint();
        await first.database.close();
        for (let round = 0; round < KILLS; round++) {
          // PGlite is one process per folder; PostgreSQL gets two server processes sharing it.
          const workers = Array.from({ length: engine === 'postgres' ? 2 : 1 }, (_, w) => startWorker(target, `${round}.${w}`, acked));
          for (const [w, worker] of workers.entries()) {
            const want = 20 + Math.floor(next() * 200);
            const ok = await worker.until(() => worker.acks.length >= want, START_TIMEOUT);
            expect(ok, `round ${round} worker ${w} stopped early: ${worker.stderr()}`).toBe(true);
            worker.child.kill('SIGKILL');
            await worker.exited;
          }
          const platform = await openCrashPlatform(target);
          const cp = await platform.services.ledger.latestCheckpoint();
          published.push({ size: cp.size, rootHash: cp.rootHash });
          await platform.database.close();
        }

        const platform = await openCrashPlatform(target);
        try {
          const { ledger } = platform.services;
          expect((await ledger.sequenceNow()).status).not.toBe('busy');
          const ids = [...acked];
          const indexes = await ledger.indexesOf(ids);
          expect(
            ids.filter((id) => !indexes.has(id)),
            'acknowledged entries never sequenced',
          ).toEqual([]);
          const { rows } = await platform.database.db.execute<{
            n: number;
            ids: number;
            lo: number | null;
            hi: number | null;
            queued: number;
          }>(sql`
            select count(*)::int as n, count(distinct id)::int as ids, min(idx)::int as lo, max(idx)::int as hi,
                   (select count(*)::int from ledger_queue) as queued
            from ledger_entries`);
          const r = rows[0]!;
          expect({ ...r, lo: r.lo ?? 0, hi: r.hi ?? -1 }).toEqual({ n: r.n, ids: r.n, lo: 0, hi: r.n - 1, queued: 0 });
          expect(r.n).toBeGreaterThanOrEqual(acked.size);
          const audit = await ledger.audit();
          expect(audit.problems).toEqual([]);
          expect(audit).toMatchObject({ ok: true, entries: r.n, treeSize: r.n });
          const latest = await ledger.latestCheckpoint();
          for (const old of published) {
            const proof = await ledger.consistencyProof(old.size, latest.size);
            expect(
              verifyConsistency({
                oldSize: old.size,
                newSize: latest.size,
                oldRoot: old.rootHash,
                newRoot: latest.rootHash,
                proof: proof.hashes,
              }),
              `size ${old.size}`,
            ).toBe(true);
          }
          console.log(
            `ledger crash on ${engine}: ${KILLS} rounds, ${acked.size} acknowledged, ${r.n} sequenced, checkpoints ${published.map((p) => p.size).join(' → ')} → ${latest.size}`,
          );
        } finally {
          await platform.database.close();
        }
      } finally {
        await fresh.drop();
      }
    },
    15 * 60_000,
  );
});
