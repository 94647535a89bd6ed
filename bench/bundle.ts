/**
 * The birth bundle end to end with the instant-approval rules on (story 2): from the parent's
 * submission to all five outputs issued — one start, three exchanges on the ledger, five cases
 * decided by the departments' rules, five sealed certificates.
 *
 *   npx tsx bench/bundle.ts [--bundles 20] [--pg-bundles 60] [--concurrency 4] [--engines pglite,postgres]
 *
 * PGlite (in memory, one connection): wall time per bundle, one after another, p50/p95/max
 * against the floor of issue 5 (< 2 s). PostgreSQL (DATABASE_URL; a fresh database is created
 * and dropped): bundles/s with `--concurrency` parents at once. CPU per bundle is this
 * process's (PostgreSQL's own is not counted); the load average is printed beside the figures.
 * Exits 1 when the PGlite p95 is not under the floor or a bundle is not done.
 */
import { cpuUsage } from 'node:process';
import { Command } from 'commander';
import { openDatabase } from '../src/db/database.ts';
import { prepareBundleDemo, TYPED_FIELDS } from '../src/demo/demo-bundle.ts';
import type { Principal } from '../src/modules/identity/principal.ts';
import { createBenchDatabase } from './support/databases.ts';
import { loadLine } from './support/machine.ts';

const FLOOR_MS = 2000;

const opts = new Command('bench-bundle')
  .option('--bundles <n>', 'bundles on PGlite, one after another', (v) => Number(v), 20)
  .option('--pg-bundles <n>', 'bundles on PostgreSQL', (v) => Number(v), 60)
  .option('--concurrency <n>', 'parents at once on PostgreSQL', (v) => Number(v), 4)
  .option('--engines <list>', 'pglite,postgres', process.env.DATABASE_URL ? 'pglite,postgres' : 'pglite')
  .parse(process.argv)
  .opts<{ bundles: number; pgBundles: number; concurrency: number; engines: string }>();

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/** One bundle from submission to its last output: the start, then progress reads until every task is done. */
async function runOne(
  bench: Awaited<ReturnType<typeof prepareBundleDemo>>,
  parent: Principal,
  key: string,
): Promise<{ ms: number; outputs: number }> {
  const t0 = performance.now();
  let { bundle } = await bench.services.bundles.start(parent, { bundle: 'birth', form: TYPED_FIELDS.birth ?? {}, consent: true }, key);
  for (let i = 0; bundle.state !== 'done' && i < 200; i++) {
    await new Promise((r) => setTimeout(r, 5));
    bundle = await bench.services.bundles.getProgress(parent, bundle.id);
  }
  const ms = performance.now() - t0;
  if (bundle.state !== 'done')
    throw new Error(`bundle ${bundle.id} is ${bundle.state}: ${bundle.tasks.map((t) => `${t.key}=${t.state}`).join(', ')}`);
  return { ms, outputs: bundle.tasks.filter((t) => t.output).length };
}

async function benchPglite(): Promise<boolean> {
  const database = await openDatabase({ engine: 'pglite', memory: true });
  try {
    await database.migrate();
    const bench = await prepareBundleDemo(database);
    const parents: Principal[] = [];
    for (let i = 0; i <= opts.bundles; i++) parents.push(await bench.newMother(i + 10));
    // The first bundle builds the seals' keys and tables of four departments: timed apart.
    const warm = await runOne(bench, parents[0]!, 'bench-warm-0');
    const times: number[] = [];
    const cpu0 = cpuUsage();
    for (let i = 1; i <= opts.bundles; i++) {
      const r = await runOne(bench, parents[i]!, `bench-pglite-${i}`);
      if (r.outputs !== 5) throw new Error(`bundle ${i}: ${r.outputs} outputs`);
      times.push(r.ms);
    }
    const cpu = cpuUsage(cpu0);
    times.sort((a, b) => a - b);
    const p50 = quantile(times, 0.5);
    const p95 = quantile(times, 0.95);
    const pass = p95 < FLOOR_MS;
    console.log(`pglite    first bundle (builds four departments' seal keys) ${warm.ms.toFixed(0)} ms`);
    console.log(
      `pglite    ${times.length} birth bundles, submit → 5 outputs issued: p50 ${p50.toFixed(0)} ms  p95 ${p95.toFixed(0)} ms  max ${times.at(-1)!.toFixed(0)} ms  ` +
        `${((cpu.user + cpu.system) / 1000 / times.length).toFixed(0)} ms CPU/bundle   floor < ${FLOOR_MS} ms: ${pass ? 'PASS' : 'FAIL'}`,
    );
    console.log(loadLine());
    return pass;
  } finally {
    await database.close();
  }
}

async function benchPostgres(): Promise<void> {
  const db = await createBenchDatabase('postgres', 'bundle');
  const database = await openDatabase({ engine: 'postgres', url: db.databaseUrl! });
  try {
    await database.migrate();
    const bench = await prepareBundleDemo(database);
    const parents: Principal[] = [];
    for (let i = 0; i <= opts.pgBundles; i++) parents.push(await bench.newMother(i + 10));
    await runOne(bench, parents[0]!, 'bench-warm-0');
    let next = 1;
    const times: number[] = [];
    const cpu0 = cpuUsage();
    const t0 = performance.now();
    const worker = async () => {
      for (let i = next++; i <= opts.pgBundles; i = next++) times.push((await runOne(bench, parents[i]!, `bench-pg-${i}`)).ms);
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const wall = performance.now() - t0;
    const cpu = cpuUsage(cpu0);
    times.sort((a, b) => a - b);
    console.log(
      `postgres  ${times.length} birth bundles, ${opts.concurrency} at once: ${((times.length / wall) * 1000).toFixed(2)} bundles/s  ` +
        `(${((times.length * 5 * 1000) / wall).toFixed(1)} outputs/s)  p50 ${quantile(times, 0.5).toFixed(0)} ms  p95 ${quantile(times, 0.95).toFixed(0)} ms  ` +
        `${((cpu.user + cpu.system) / 1000 / times.length).toFixed(0)} ms CPU/bundle (node)`,
    );
    console.log(loadLine());
  } finally {
    await database.close();
    await db.drop();
  }
}

console.log(loadLine());
let ok = true;
for (const engine of opts.engines.split(',').map((e) => e.trim())) {
  if (engine === 'pglite') ok = (await benchPglite()) && ok;
  else if (engine === 'postgres') await benchPostgres();
  else throw new Error(`unknown engine ${engine}`);
}
if (!ok) process.exitCode = 1;
