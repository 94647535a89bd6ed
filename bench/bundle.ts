/**
 * The birth bundle end to end with the instant-approval rules on (story 2): from the parent's
 * submission to all five outputs issued — one start, three exchanges on the ledger, five cases
 * decided by the departments' rules, five sealed certificates.
 *
 *   npx tsx bench/bundle.ts [--bundles 20] [--pg-bundles 60] [--concurrency 4] [--engines pglite,postgres]
 *   npx tsx bench/bundle.ts --baseline 271b07e          # the base commit and this tree in the same run
 *   npx tsx bench/bundle.ts --engines postgres --cpu-prof /tmp/bundle.cpuprofile   # where the CPU goes
 *
 * PGlite (in memory, one connection): wall time per bundle, one after another, p50/p95/max
 * against the floor of issue 5 (< 2 s). PostgreSQL (DATABASE_URL; a fresh database is created
 * and dropped): bundles/s with `--concurrency` parents at once, and node CPU per bundle against
 * the floor of issue 11 (≤ 60 ms). CPU per bundle is this process's (process.cpuUsage over the
 * timed bundles; PostgreSQL's own is not counted); the load average is printed beside the figures.
 *
 * `--baseline <commit or folder>` runs the same bench against another checkout (a commit is
 * checked out into a detached worktree under the temp folder, sharing this tree's node_modules),
 * each side in a child process of its own, alternating `--rounds` times, and prints both sides.
 * `--cpu-prof <file>` profiles the timed PostgreSQL bundles only and prints where the time goes
 * by module (bench/support/profile-modules.ts).
 * Exits 1 when the PGlite p95 is not under its floor or a bundle is not done.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cpuUsage } from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import type * as dbModule from '../src/db/database.ts';
import type * as demoModule from '../src/demo/demo-bundle.ts';
import type { Principal } from '../src/modules/identity/principal.ts';
import { createBenchDatabase } from './support/databases.ts';
import { loadLine } from './support/machine.ts';
import { printBreakdown, type CpuProfile } from './support/profile-modules.ts';

const FLOOR_MS = 2000;
const PG_CPU_FLOOR_MS = 60;
const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const opts = new Command('bench-bundle')
  .option('--bundles <n>', 'bundles on PGlite, one after another', (v) => Number(v), 20)
  .option('--pg-bundles <n>', 'bundles on PostgreSQL', (v) => Number(v), 60)
  .option('--concurrency <n>', 'parents at once on PostgreSQL', (v) => Number(v), 4)
  .option('--engines <list>', 'pglite,postgres', process.env.DATABASE_URL ? 'pglite,postgres' : 'pglite')
  .option('--root <dir>', 'the checkout whose code is measured', HERE)
  .option('--baseline <commit|dir>', 'also measure this commit (or checkout folder), in the same run')
  .option('--rounds <n>', 'with --baseline: alternate base and this tree this many times', (v) => Number(v), 1)
  .option('--cpu-prof <file>', 'write a CPU profile of the timed PostgreSQL bundles and print it by module')
  .option('--queries', 'count the SQL statements of the timed bundles (PostgreSQL), by table')
  .option('--steps', 'node CPU per bundle by the services the bundle calls (PostgreSQL, one bundle at a time)')
  .option('--json', 'print one RESULT line of JSON (used by --baseline)')
  .parse(process.argv)
  .opts<{
    bundles: number;
    pgBundles: number;
    concurrency: number;
    engines: string;
    root: string;
    baseline?: string;
    rounds: number;
    cpuProf?: string;
    queries?: boolean;
    steps?: boolean;
    json?: boolean;
  }>();

interface EngineResult {
  engine: 'pglite' | 'postgres';
  bundles: number;
  p50: number;
  p95: number;
  max: number;
  cpuPerBundle: number;
  perSecond: number;
  load: string;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

// The code under test comes from --root, so the same bench measures another checkout.
const root = path.resolve(opts.root);
const load = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(path.join(root, rel)).href)) as T;
type DemoModule = typeof demoModule;
type DbModule = typeof dbModule;
type Bench = Awaited<ReturnType<DemoModule['prepareBundleDemo']>>;

/** One bundle from submission to its last output: the start, then progress reads until every task is done. */
async function runOne(
  bench: Bench,
  typed: Record<string, string>,
  parent: Principal,
  key: string,
): Promise<{ ms: number; outputs: number }> {
  const t0 = performance.now();
  let { bundle } = await bench.services.bundles.start(parent, { bundle: 'birth', form: typed, consent: true }, key);
  for (let i = 0; bundle.state !== 'done' && i < 200; i++) {
    await new Promise((r) => setTimeout(r, 5));
    bundle = await bench.services.bundles.getProgress(parent, bundle.id);
  }
  const ms = performance.now() - t0;
  if (bundle.state !== 'done')
    throw new Error(`bundle ${bundle.id} is ${bundle.state}: ${bundle.tasks.map((t) => `${t.key}=${t.state}`).join(', ')}`);
  return { ms, outputs: bundle.tasks.filter((t) => t.output).length };
}

async function benchEngine(engine: 'pglite' | 'postgres'): Promise<EngineResult> {
  const { openDatabase } = await load<DbModule>('src/db/database.ts');
  const { prepareBundleDemo, TYPED_FIELDS } = await load<DemoModule>('src/demo/demo-bundle.ts');
  const typed = TYPED_FIELDS.birth ?? {};
  const n = engine === 'pglite' ? opts.bundles : opts.pgBundles;
  // PGlite has one connection: one bundle after another. PostgreSQL: --concurrency parents at once.
  const concurrency = engine === 'pglite' || opts.steps ? 1 : opts.concurrency;
  const db = engine === 'postgres' ? await createBenchDatabase('postgres', 'bundle') : undefined;
  const database =
    engine === 'postgres'
      ? await openDatabase({ engine: 'postgres', url: db!.databaseUrl! })
      : await openDatabase({ engine: 'pglite', memory: true });
  try {
    await database.migrate();
    const bench = await prepareBundleDemo(database);
    const parents: Principal[] = [];
    for (let i = 0; i <= n; i++) parents.push(await bench.newMother(i + 10));
    // The first bundle builds the seals' keys and tables of four departments: timed apart.
    const warm = await runOne(bench, typed, parents[0]!, 'bench-warm-0');
    console.log(`${engine.padEnd(9)} first bundle (builds four departments' seal keys) ${warm.ms.toFixed(0)} ms`);
    const session = engine === 'postgres' && opts.cpuProf ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 250 });
      await session.post('Profiler.start');
    }
    const stepped = engine === 'postgres' && opts.steps ? meterSteps(bench.services) : undefined;
    const counted = engine === 'postgres' && opts.queries ? await countQueries() : undefined;
    let next = 1;
    const times: number[] = [];
    const cpu0 = cpuUsage();
    const t0 = performance.now();
    const worker = async () => {
      for (let i = next++; i <= n; i = next++) {
        const r = await runOne(bench, typed, parents[i]!, `bench-${engine}-${i}`);
        if (r.outputs !== 5) throw new Error(`bundle ${i}: ${r.outputs} outputs`);
        times.push(r.ms);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const wall = performance.now() - t0;
    const cpu = cpuUsage(cpu0);
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      writeFileSync(opts.cpuProf!, JSON.stringify(profile));
      console.log(`  profile of the ${times.length} timed bundles written to ${opts.cpuProf}`);
      printBreakdown(profile as unknown as CpuProfile, times.length, 'bundle', (cpu.user + cpu.system) / 1000 / times.length);
    }
    if (counted) counted.print(times.length);
    if (stepped) stepped.print(times.length, (cpu.user + cpu.system) / 1000);
    times.sort((a, b) => a - b);
    return {
      engine,
      bundles: times.length,
      p50: quantile(times, 0.5),
      p95: quantile(times, 0.95),
      max: times.at(-1)!,
      cpuPerBundle: (cpu.user + cpu.system) / 1000 / times.length,
      perSecond: (times.length / wall) * 1000,
      load: loadLine(),
    };
  } finally {
    await database.close();
    await db?.drop();
  }
}

/**
 * Node CPU by service call, one bundle at a time: each method the bundle service calls is
 * wrapped (the outermost wrapped call counts, so a call inside another is not counted twice).
 */
function meterSteps(services: Bench['services']): { print(bundles: number, totalMs: number): void } {
  const spent = new Map<string, { ms: number; calls: number }>();
  let depth = 0;
  const wrap = (name: string, target: Record<string, unknown>, methods: string[]) => {
    for (const m of methods) {
      const original = target[m] as (...a: unknown[]) => Promise<unknown>;
      target[m] = async (...args: unknown[]) => {
        if (depth > 0) return original.apply(target, args);
        depth++;
        const c0 = cpuUsage();
        try {
          return await original.apply(target, args);
        } finally {
          depth--;
          const c = cpuUsage(c0);
          const k = `${name}.${m}`;
          const e = spent.get(k) ?? { ms: 0, calls: 0 };
          e.ms += (c.user + c.system) / 1000;
          e.calls++;
          spent.set(k, e);
        }
      };
    }
  };
  wrap('applications', services.applications, ['submit', 'applicantAction', 'act', 'getCase', 'decideMany']);
  wrap('dataSharing', services.dataSharing, ['requestExchange', 'decideConsent']);
  wrap('certificates', services.certificates, ['getByCase']);
  wrap('orgs', services.orgs as unknown as Record<string, unknown>, ['getOrg']);
  return {
    print(bundles, totalMs) {
      let counted = 0;
      console.log(`  node CPU per bundle by service call (one bundle at a time; ${(totalMs / bundles).toFixed(1)} ms in all):`);
      for (const [k, e] of [...spent].sort((a, b) => b[1].ms - a[1].ms)) {
        counted += e.ms;
        console.log(
          `    ${k.padEnd(32)} ${(e.ms / bundles).toFixed(1).padStart(6)} ms  ${(e.calls / bundles).toFixed(1).padStart(5)} calls`,
        );
      }
      console.log(`    ${'bundles itself, driver, timers'.padEnd(32)} ${((totalMs - counted) / bundles).toFixed(1).padStart(6)} ms`);
    },
  };
}

/** Counts the statements pg's clients send from now on, by their verb and first table. */
async function countQueries(): Promise<{ print(bundles: number): void }> {
  const pg = (await import('pg')).default;
  const counts = new Map<string, number>();
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was; called with the client as `this`
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const verb = /^\s*([a-z]+)/i.exec(text)?.[1]?.toLowerCase() ?? text.slice(0, 30);
    const table = /\b(?:from|into|update)\s+"?([a-z_]+)"?/i.exec(text)?.[1];
    const key = table ? `${verb} ${table}` : verb;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    print(bundles) {
      pg.Client.prototype.query = original;
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      console.log(`  ${(total / bundles).toFixed(1)} SQL statements per bundle:`);
      for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`    ${(n / bundles).toFixed(1).padStart(6)}  ${k}`);
    },
  };
}

function describe(r: EngineResult): string {
  const cpu = `${r.cpuPerBundle.toFixed(1)} ms node CPU/bundle`;
  if (r.engine === 'pglite')
    return (
      `pglite    ${r.bundles} birth bundles one after another, submit → 5 outputs issued: p50 ${r.p50.toFixed(0)} ms  p95 ${r.p95.toFixed(0)} ms  ` +
      `max ${r.max.toFixed(0)} ms  ${r.perSecond.toFixed(2)} bundles/s  ${cpu}   floor p95 < ${FLOOR_MS} ms: ${r.p95 < FLOOR_MS ? 'PASS' : 'FAIL'}`
    );
  return (
    `postgres  ${r.bundles} birth bundles, ${opts.steps ? 1 : opts.concurrency} at once: ${r.perSecond.toFixed(2)} bundles/s (${(r.perSecond * 5).toFixed(1)} outputs/s)  ` +
    `p50 ${r.p50.toFixed(0)} ms  p95 ${r.p95.toFixed(0)} ms  ${cpu}   floor ≤ ${PG_CPU_FLOOR_MS} ms: ${r.cpuPerBundle <= PG_CPU_FLOOR_MS ? 'PASS' : 'FAIL'}`
  );
}

/** A commit becomes a detached worktree in the temp folder (kept for the next run), with this tree's node_modules and native build. */
function checkoutOf(ref: string): string {
  if (existsSync(ref)) return path.resolve(ref);
  const commit = execFileSync('git', ['-C', HERE, 'rev-parse', '--short', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = path.join(tmpdir(), `yiban-bench-base-${commit}`);
  if (!existsSync(dir)) {
    execFileSync('git', ['-C', HERE, 'worktree', 'add', '--detach', dir, commit], { stdio: 'ignore' });
    for (const shared of ['node_modules', 'build']) symlinkSync(path.join(HERE, shared), path.join(dir, shared));
  }
  return dir;
}

/** One side of the comparison in a child process of its own (its own module graph, its own CPU count). */
function runChild(checkout: string, engine: string): Promise<EngineResult[]> {
  const args = [
    '--import',
    'tsx',
    path.join(HERE, 'bench/bundle.ts'),
    '--root',
    checkout,
    '--engines',
    engine,
    '--bundles',
    String(opts.bundles),
    '--pg-bundles',
    String(opts.pgBundles),
    '--concurrency',
    String(opts.concurrency),
    '--json',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: HERE, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 && !line) reject(new Error(`bench child for ${checkout} exited ${code}:\n${out}`));
      else resolve(JSON.parse(line!.slice(7)) as EngineResult[]);
    });
  });
}

console.log(loadLine());
const engines = opts.engines.split(',').map((e) => e.trim());
for (const e of engines) if (e !== 'pglite' && e !== 'postgres') throw new Error(`unknown engine ${e}`);
let ok = true;
if (opts.baseline) {
  const base = checkoutOf(opts.baseline);
  const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  console.log(
    `base ${opts.baseline} (${base}) against this tree (${root}, HEAD ${head}); each side in its own process, ${opts.rounds} round(s)`,
  );
  for (const engine of engines) {
    const sides: Record<'base' | 'this', EngineResult[]> = { base: [], this: [] };
    for (let round = 0; round < opts.rounds; round++) {
      for (const [side, checkout] of [
        ['base', base],
        ['this', root],
      ] as const) {
        const [r] = await runChild(checkout, engine);
        sides[side].push(r!);
        console.log(`  round ${round + 1} ${side.padEnd(4)} ${describe(r!)}\n             ${r!.load}`);
      }
    }
    const mean = (rs: EngineResult[], f: (r: EngineResult) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    const cpuBase = mean(sides.base, (r) => r.cpuPerBundle);
    const cpuThis = mean(sides.this, (r) => r.cpuPerBundle);
    const rateBase = mean(sides.base, (r) => r.perSecond);
    const rateThis = mean(sides.this, (r) => r.perSecond);
    console.log(
      `${engine.padEnd(9)} node CPU/bundle: base ${cpuBase.toFixed(1)} ms → this ${cpuThis.toFixed(1)} ms (${((100 * (cpuThis - cpuBase)) / cpuBase).toFixed(0)} %); ` +
        `bundles/s (wall, under load): base ${rateBase.toFixed(2)} → this ${rateThis.toFixed(2)}` +
        (engine === 'postgres' ? `   floor ≤ ${PG_CPU_FLOOR_MS} ms: ${cpuThis <= PG_CPU_FLOOR_MS ? 'PASS' : 'FAIL'}` : ''),
    );
    if (engine === 'pglite') ok = sides.this.every((r) => r.p95 < FLOOR_MS) && ok;
  }
} else {
  const results: EngineResult[] = [];
  for (const engine of engines) {
    const r = await benchEngine(engine as 'pglite' | 'postgres');
    results.push(r);
    if (!opts.json) console.log(`${describe(r)}\n${r.load}`);
    if (engine === 'pglite') ok = r.p95 < FLOOR_MS && ok;
  }
  if (opts.json) console.log(`RESULT ${JSON.stringify(results)}`);
}
if (!ok) process.exitCode = 1;
