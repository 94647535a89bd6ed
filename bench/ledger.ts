/**
 * The transparency ledger on PostgreSQL: appends (queued) per second (single, concurrent, batched),
 * integration speed, proof generation at 1M leaves, and the audit of 1M leaves (floor < 10 s).
 * The 1M entries are bulk-inserted with generate_series (32-byte digests, as real leaves are);
 * every other figure goes through the ledger service.
 *
 *   npx tsx bench/ledger.ts [--leaves 1000000] [--server-url postgres://postgres@127.0.0.1:5432/postgres] [--keep]
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../src/db/database.ts';
import { createLedgerService, type LedgerService } from '../src/modules/ledger/ledger.service.ts';
import { openCheckpoint } from '../src/verify/checkpoint.ts';
import { verifyConsistency, verifyInclusion } from '../src/verify/merkle.ts';
import { adminQuery, databaseUrlFor, DEFAULT_SERVER_URL } from './support/databases.ts';
import { ms, summarise, table, verdict } from './support/stats.ts';

export const AUDIT_FLOOR_MS = 10_000;

export interface LedgerBenchOptions {
  leaves: number;
  serverUrl: string;
  keep: boolean;
  log: (line: string) => void;
}

export interface LedgerBenchResult {
  appendSinglePerSecond: number;
  appendConcurrentPerSecond: number;
  appendBatchedPerSecond: number;
  integrateLeavesPerSecond: number;
  integrateMillis: number;
  incrementalIntegrateMillis: number;
  inclusionProofsPerSecond: number;
  consistencyProofsPerSecond: number;
  auditMillis: number;
  auditOk: boolean;
  pass: boolean;
}

const digest = (i: number) => ({ kind: 'bench', data: new Uint8Array(randomBytes(32)).map((b, k) => (k < 4 ? (i >> (8 * k)) & 255 : b)) });

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; millis: number }> {
  const started = performance.now();
  const value = await run();
  return { value, millis: performance.now() - started };
}

export async function benchLedger(options: LedgerBenchOptions): Promise<LedgerBenchResult> {
  const { log } = options;
  const name = `yiban_bench_ledger_${Date.now().toString(36)}`;
  await adminQuery(options.serverUrl, `CREATE DATABASE ${name}`);
  let database: Database | undefined;
  try {
    database = await openDatabase({ engine: 'postgres', url: databaseUrlFor(options.serverUrl, name), poolSize: 20 });
    await database.migrate();
    const ledger = createLedgerService({ db: database.db, masterKey: randomBytes(32), origin: 'bench.yiban.local/ledger' });
    await ledger.latestCheckpoint();
    log(
      `ledger benchmark on PostgreSQL (${name}), ${options.leaves.toLocaleString('en')} leaves; ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    const result = await runAll(database, ledger, options);
    log('');
    log(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    log(
      table([
        ['measure', 'value'],
        ['append, one client, one per transaction', `${result.appendSinglePerSecond.toFixed(0)} /s`],
        ['append, 16 clients, one per transaction', `${result.appendConcurrentPerSecond.toFixed(0)} /s`],
        ['append, batches of 1,000', `${result.appendBatchedPerSecond.toFixed(0)} /s`],
        [
          `integrate ${options.leaves.toLocaleString('en')} leaves (tiles + signed checkpoint)`,
          `${ms(result.integrateMillis)} ms (${result.integrateLeavesPerSecond.toFixed(0)} leaves/s)`,
        ],
        ['integrate 1,000 new leaves on top', `${ms(result.incrementalIntegrateMillis)} ms`],
        ['inclusion proof at 1M, from tiles', `${result.inclusionProofsPerSecond.toFixed(0)} /s`],
        ['consistency proof at 1M, from tiles', `${result.consistencyProofsPerSecond.toFixed(0)} /s`],
        [
          `audit of ${options.leaves.toLocaleString('en')} leaves (floor < ${AUDIT_FLOOR_MS / 1000} s)`,
          `${ms(result.auditMillis)} ms ${verdict(result.auditMillis < AUDIT_FLOOR_MS && result.auditOk)}`,
        ],
      ]),
    );
    return result;
  } finally {
    await database?.close();
    if (!options.keep) await adminQuery(options.serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    else log(`kept ${name}`);
  }
}

async function runAll(database: Database, ledger: LedgerService, options: LedgerBenchOptions): Promise<LedgerBenchResult> {
  const { log } = options;
  const db = database.db;

  const single = await timed(async () => {
    for (let i = 0; i < 1000; i++) await ledger.append(digest(i));
  });
  const appendSinglePerSecond = 1000 / (single.millis / 1000);
  log(`  append, one client: ${appendSinglePerSecond.toFixed(0)}/s`);

  const concurrent = await timed(() =>
    Promise.all(
      Array.from({ length: 16 }, async (_, c) => {
        for (let i = 0; i < 250; i++) await ledger.append(digest(c * 1000 + i));
      }),
    ),
  );
  const appendConcurrentPerSecond = 4000 / (concurrent.millis / 1000);
  log(`  append, 16 clients: ${appendConcurrentPerSecond.toFixed(0)}/s`);

  const batched = await timed(async () => {
    for (let b = 0; b < 20; b++) await ledger.appendMany(Array.from({ length: 1000 }, (_, i) => digest(b * 1000 + i)));
  });
  const appendBatchedPerSecond = 20_000 / (batched.millis / 1000);
  log(`  append, batches of 1,000: ${appendBatchedPerSecond.toFixed(0)}/s`);

  // Number what the appends queued, then up to the target size in bulk: 32-byte digests, the
  // leaf hash computed by the generated column, ids from the queue's sequence.
  await ledger.sequenceNow();
  const have = Number((await db.execute<{ n: string }>(sql`select count(*) as n from ledger_entries`)).rows[0]!.n);
  const fill = await timed(async () => {
    for (let from = have; from < options.leaves; from += 250_000) {
      const to = Math.min(options.leaves, from + 250_000) - 1;
      await db.execute(
        sql`insert into ledger_entries (idx, id, kind, data) select g, nextval('ledger_queue_id_seq'), 'bench', sha256(int8send(g)) from generate_series(${from}::bigint, ${to}::bigint) g`,
      );
    }
    await db.execute(sql`update ledger_head set next_idx = ${options.leaves}`);
    await db.execute(sql`analyze ledger_entries`);
  });
  log(`  bulk insert to ${options.leaves.toLocaleString('en')} entries: ${ms(fill.millis)} ms`);

  const integration = await timed(() => ledger.integrate());
  if (integration.value.status !== 'integrated') throw new Error(`integration: ${integration.value.status}`);
  const integrated = integration.value.added;
  const integrateLeavesPerSecond = integrated / (integration.millis / 1000);
  log(`  integrate ${integrated.toLocaleString('en')} leaves: ${ms(integration.millis)} ms`);

  const vkey = await ledger.vkey();
  const before = await ledger.latestCheckpoint();
  await ledger.appendMany(Array.from({ length: 1000 }, (_, i) => digest(i)));
  const incremental = await timed(() => ledger.integrate());
  log(`  integrate 1,000 more: ${ms(incremental.millis)} ms`);
  const after = await ledger.latestCheckpoint();
  const opened = openCheckpoint(after.note, vkey);
  if (!opened.ok) throw new Error('the checkpoint does not verify');

  const inclusionLatencies: number[] = [];
  const proofs = await timed(async () => {
    for (let i = 0; i < 2000; i++) {
      const index = Math.floor(Math.random() * after.size);
      const t = performance.now();
      const proof = await ledger.inclusionProof(index, after.size);
      inclusionLatencies.push(performance.now() - t);
      if (i % 100 === 0) {
        const entry = await ledger.getEntry(index);
        if (!verifyInclusion({ index, size: after.size, leafHash: entry.leafHash, proof: proof.hashes, root: after.rootHash }))
          throw new Error(`bad proof for ${index}`);
      }
    }
  });
  const inclusion = summarise(inclusionLatencies);
  const inclusionProofsPerSecond = 2000 / (proofs.millis / 1000);
  log(`  inclusion proofs: ${inclusionProofsPerSecond.toFixed(0)}/s (p50 ${ms(inclusion.p50)} ms, p99 ${ms(inclusion.p99)} ms)`);

  const consistency = await timed(async () => {
    for (let i = 0; i < 500; i++) {
      const from = 1 + Math.floor(Math.random() * (after.size - 1));
      const proof = await ledger.consistencyProof(from, after.size);
      if (i === 0) {
        const old = await ledger.consistencyProof(before.size, after.size);
        if (
          !verifyConsistency({
            oldSize: before.size,
            newSize: after.size,
            oldRoot: before.rootHash,
            newRoot: after.rootHash,
            proof: old.hashes,
          })
        ) {
          throw new Error('bad consistency proof');
        }
      }
      void proof;
    }
  });
  const consistencyProofsPerSecond = 500 / (consistency.millis / 1000);
  log(`  consistency proofs: ${consistencyProofsPerSecond.toFixed(0)}/s`);

  const cpu = process.cpuUsage();
  const audit = await ledger.audit();
  const auditCpu = process.cpuUsage(cpu);
  log(
    `  audit: ${audit.entries.toLocaleString('en')} entries, ${audit.checkpoints} checkpoints, ${audit.millis} ms (${Math.round((auditCpu.user + auditCpu.system) / 1000)} ms CPU in this process, hashing threads included), ${audit.ok ? 'ok' : `${audit.problemCount} problems`}`,
  );

  return {
    appendSinglePerSecond,
    appendConcurrentPerSecond,
    appendBatchedPerSecond,
    integrateLeavesPerSecond,
    integrateMillis: integration.millis,
    incrementalIntegrateMillis: incremental.millis,
    inclusionProofsPerSecond,
    consistencyProofsPerSecond,
    auditMillis: audit.millis,
    auditOk: audit.ok,
    pass: audit.ok && audit.millis < AUDIT_FLOOR_MS,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts = new Command('bench-ledger')
    .option('--leaves <n>', 'leaves for integration, proofs and audit', (v) => Number(v), 1_000_000)
    .option('--server-url <url>', 'PostgreSQL server for the benchmark database', DEFAULT_SERVER_URL)
    .option('--keep', 'keep the database', false)
    .parse(process.argv)
    .opts<{ leaves: number; serverUrl: string; keep: boolean }>();
  const result = await benchLedger({ ...opts, log: (line) => console.log(line) });
  process.exitCode = result.pass ? 0 : 1;
}
