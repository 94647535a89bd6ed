/**
 * Ledger writers on PostgreSQL: 1, 16 and 64 concurrent writers, one entry per transaction, for
 * a fixed time each, three ways in the same run:
 *
 * - commit: `begin; insert a tiny row; commit` — the disk's group-commit rate, the ceiling;
 * - head row: the append before the sequencer (a one-row counter updated in the writer's
 *   transaction), on bench-only copies of the old tables, with the old statement;
 * - queued: `ledger.appendInTx` (the queue insert) while a sequencer loop like `startSequencer`'s
 *   (50 ms idle poll, batches of 5,000, a signed checkpoint every second) numbers the entries.
 *
 * Latency is from the start of the writer's transaction to the moment its index exists: the
 * commit for the head row; the commit of the sequencer step that numbered it for the queue.
 *
 *   npx tsx bench/ledger-writers.ts [--seconds 5] [--writers 1,16,64] [--server-url …]
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../src/db/database.ts';
import { nodeHasher } from '../src/modules/ledger/hashing.ts';
import { integrate, sequence } from '../src/modules/ledger/integrate.ts';
import { createLedgerService } from '../src/modules/ledger/ledger.service.ts';
import { loadOrCreateLogSigner } from '../src/modules/ledger/log-key.ts';
import { adminQuery, databaseUrlFor, DEFAULT_SERVER_URL } from './support/databases.ts';
import { ms, summarise, table } from './support/stats.ts';

export interface WriterRow {
  writers: number;
  path: 'commit' | 'head row' | 'queued';
  perSecond: number;
  p50: number;
  p99: number;
  count: number;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const leaf = () => ({ kind: 'bench', data: new Uint8Array(randomBytes(32)) });

/** Runs `writers` loops of `once` for `seconds`; each returns its latency in ms, or null to skip it. */
async function drive(
  writers: number,
  seconds: number,
  once: () => Promise<number | null>,
): Promise<{ count: number; latencies: number[]; millis: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < until) {
        const l = await once();
        if (l !== null) latencies.push(l);
      }
    }),
  );
  return { count: latencies.length, latencies, millis: performance.now() - started };
}

export async function benchWriters(options: {
  seconds: number;
  writers: number[];
  serverUrl: string;
  log: (line: string) => void;
}): Promise<WriterRow[]> {
  const { log } = options;
  const name = `yiban_bench_writers_${Date.now().toString(36)}`;
  await adminQuery(options.serverUrl, `CREATE DATABASE ${name}`);
  let database: Database | undefined;
  const out: WriterRow[] = [];
  try {
    database = await openDatabase({
      engine: 'postgres',
      url: databaseUrlFor(options.serverUrl, name),
      poolSize: Math.max(...options.writers) + 4,
    });
    await database.migrate();
    const db = database.db;
    const origin = 'bench.yiban.local/ledger';
    const masterKey = randomBytes(32);
    const ledger = createLedgerService({ db, masterKey, origin });
    await ledger.latestCheckpoint();
    const signer = await loadOrCreateLogSigner(db, masterKey, origin);
    // The old schema and statement, as they were before the sequencer (HEAD 100b6c9).
    await db.execute(sql`create table legacy_head (id smallint primary key default 1, next_idx bigint not null)`);
    await db.execute(sql`insert into legacy_head values (1, 0)`);
    await db.execute(sql`create table legacy_entries (idx bigint primary key, kind text not null, data bytea not null,
      leaf_hash bytea not null generated always as (sha256('\\x00'::bytea || data)) stored, created_at timestamptz not null default now())`);
    await db.execute(sql`create table commit_probe (id bigserial primary key, x int not null)`);
    log(`ledger writers on PostgreSQL (${name}), ${options.seconds} s per measure; ${cpus().length} cores, load average ${load()}`);

    for (const writers of options.writers) {
      const commit = await drive(writers, options.seconds, async () => {
        const t = performance.now();
        await db.transaction(async (tx) => {
          await tx.execute(sql`insert into commit_probe (x) values (1)`);
        });
        return performance.now() - t;
      });

      const head = await drive(writers, options.seconds, async () => {
        const t = performance.now();
        const e = leaf();
        await db.transaction(async (tx) => {
          await tx.execute(sql`
            with head as (update legacy_head set next_idx = next_idx + 1 where id = 1 returning next_idx - 1 as first)
            insert into legacy_entries (idx, kind, data) select head.first, ${e.kind}, ${Buffer.from(e.data)} from head`);
        });
        return performance.now() - t;
      });

      // The sequencer loop, timing each step so that every entry's index has a time.
      const steps: { first: number; count: number; at: number }[] = [];
      let running = true;
      const sequencer = (async () => {
        let lastCheckpoint = performance.now();
        while (running) {
          const step = await sequence(db, 5000);
          if (step.status === 'sequenced' && step.count > 0) steps.push({ first: step.first, count: step.count, at: performance.now() });
          if (performance.now() - lastCheckpoint >= 1000) {
            lastCheckpoint = performance.now();
            await integrate({ db, origin, signer, hasher: nodeHasher });
          }
          if (step.status !== 'sequenced' || step.count < 5000) await sleep(50);
        }
      })();
      const started = new Map<number, number>();
      const queued = await drive(writers, options.seconds, async () => {
        const t = performance.now();
        const { id } = await db.transaction((tx) => ledger.appendInTx(tx, leaf()));
        started.set(id, t);
        return 0;
      });
      // Every writer has committed: wait for the sequencer to number the whole queue, then stop it.
      const deadline = performance.now() + 60_000;
      while ((await queueLength(database)) > 0 && performance.now() < deadline) await sleep(10);
      running = false;
      await sequencer;
      const ids = [...started.keys()];
      const { rows } = await db.execute<{ id: string; idx: string }>(
        sql`select id, idx from ledger_entries where id = any(${sql.param(ids)}::bigint[])`,
      );
      const latencies: number[] = [];
      for (const r of rows) {
        const idx = Number(r.idx);
        const step = steps.find((s) => idx >= s.first && idx < s.first + s.count);
        if (step) latencies.push(step.at - started.get(Number(r.id))!);
      }
      if (latencies.length !== ids.length) throw new Error(`queued ${ids.length} entries, ${latencies.length} sequenced with a time`);
      steps.length = 0;
      const queuedRate = queued.count / (queued.millis / 1000);

      for (const [path, run, lat] of [
        ['commit', commit, commit.latencies],
        ['head row', head, head.latencies],
        ['queued', queued, latencies],
      ] as const) {
        const s = summarise(lat);
        const perSecond = path === 'queued' ? queuedRate : run.count / (run.millis / 1000);
        out.push({ writers, path, perSecond, p50: s.p50, p99: s.p99, count: run.count });
        log(
          `  ${String(writers).padStart(2)} writers, ${path.padEnd(8)}: ${perSecond.toFixed(0)}/s, p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms (${run.count} transactions; load ${load()})`,
        );
      }
    }
    const audit = await (async () => {
      await ledger.sequenceNow();
      return ledger.audit();
    })();
    log(`  audit after the run: ${audit.entries} entries, ${audit.ok ? 'ok' : `${audit.problemCount} problems`}`);
    if (!audit.ok) throw new Error('the audit failed after the writers run');
    log('');
    log(
      table([
        ['writers', 'path', 'leaves/s', 'p50 ms', 'p99 ms', '÷ commit rate'],
        ...out.map((r) => {
          const commitRate = out.find((c) => c.writers === r.writers && c.path === 'commit')!.perSecond;
          return [
            String(r.writers),
            r.path,
            r.perSecond.toFixed(0),
            ms(r.p50),
            ms(r.p99),
            `${((100 * r.perSecond) / commitRate).toFixed(0)} %`,
          ];
        }),
      ]),
    );
    log(`load average at the end: ${load()}`);
    return out;
  } finally {
    await database?.close();
    await adminQuery(options.serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function queueLength(database: Database): Promise<number> {
  return Number((await database.db.execute<{ n: string }>(sql`select count(*) as n from ledger_queue`)).rows[0]!.n);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts = new Command('bench-ledger-writers')
    .option('--seconds <n>', 'seconds per measure', (v) => Number(v), 5)
    .option('--writers <list>', 'concurrent writers', (v) => v.split(',').map(Number), [1, 16, 64])
    .option('--server-url <url>', 'PostgreSQL server for the benchmark database', DEFAULT_SERVER_URL)
    .parse(process.argv)
    .opts<{ seconds: number; writers: number[]; serverUrl: string }>();
  const rows = await benchWriters({ ...opts, log: (line) => console.log(line) });
  const at16 = rows.find((r) => r.writers === 16 && r.path === 'queued');
  if (at16)
    console.log(`floor ≥ 5,000 leaves/s with 16 writers: ${at16.perSecond.toFixed(0)}/s ${at16.perSecond >= 5000 ? 'PASS' : 'FAIL'}`);
}
