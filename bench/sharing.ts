/**
 * Data exchanges: node CPU per exchange and exchanges/s, through the internal adapter (the dataset
 * kept in the platform) and through the external signed adapter against a real external department
 * process (`yiban external-dept serve`, spawned here), with several requests in flight. Each
 * exchange is a consumer's request under a law-based grant: case and grant checks, the adapter's
 * read (or a signed HTTP query whose signed answer is verified), then the exchange row and its
 * ledger leaf in one transaction. The consent path's first step (a pending request) is measured too.
 *
 * CPU is read three ways: this Node process (process.cpuUsage; PGlite runs inside it), the
 * PostgreSQL backends serving the bench's database (/proc, 10 ms ticks) and, for the external
 * adapter, the department process. Round trips are the node-postgres queries sent per exchange.
 * Wall-clock rates depend on what else runs on the machine; the load average is printed.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/sharing.ts --baseline /work/wt-exbase
 *
 * With --baseline <dir> (a worktree of the base commit, node_modules linked) the same measure runs
 * first against that tree's code, then against this one, each in its own child process, and the
 * two are printed side by side. Options: --exchanges (per scenario), --concurrency (list),
 * --engines (pglite,postgres), --rounds (alternate baseline and current that many times).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cpuUsage } from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { backendPids, CpuMeter, processCpuMs } from './support/cpu.ts';
import type * as Factories from '../test/factories.ts';
import type * as Seed from '../src/modules/sharing/sharing.seed.ts';
import type * as Departments from '../test/external-department.ts';
import type * as HanDigits from '../src/demo/han-digits.ts';
import type * as Pg from 'pg';
import { loadLine } from './support/machine.ts';

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const opts = new Command('bench-sharing')
  .option('--exchanges <n>', 'measured exchanges per scenario', (v) => Number(v), 400)
  .option('--warmup <n>', 'unmeasured exchanges before each scenario', (v) => Number(v), 40)
  .option('--concurrency <list>', 'requests in flight, comma-separated', '8,32')
  .option('--engines <list>', 'pglite,postgres', process.env.DATABASE_URL ? 'postgres' : 'pglite')
  .option('--baseline <dir>', 'a worktree of the base commit: measure it too, in the same run')
  .option('--rounds <n>', 'with --baseline: alternate baseline and current this many times', (v) => Number(v), 1)
  .option('--root <dir>', 'internal: the tree whose code is measured', HERE)
  .option('--json', 'internal: print one JSON line of results')
  .parse(process.argv)
  .opts<{
    exchanges: number;
    warmup: number;
    concurrency: string;
    engines: string;
    baseline?: string;
    rounds: number;
    root: string;
    json?: boolean;
  }>();

interface Row {
  engine: string;
  scenario: string;
  concurrency: number;
  perSecond: number;
  nodeCpuMs: number;
  pgCpuMs: number | null;
  deptCpuMs: number | null;
  roundTrips: number | null;
}

const concurrencies = opts.concurrency.split(',').map((c) => Number(c.trim()));
const engines = opts.engines.split(',').map((e) => e.trim()) as ('pglite' | 'postgres')[];

if (opts.baseline) await compare(path.resolve(opts.baseline));
else await measureTree(path.resolve(opts.root));

/** Runs the measure in a child process per tree, baseline first, and prints both side by side. */
async function compare(baseline: string): Promise<void> {
  console.log(`baseline ${baseline} (${gitHead(baseline)}) against ${HERE} (${gitHead(HERE)})`);
  console.log(loadLine());
  const results: { base: Row[]; current: Row[] }[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const base = await child(baseline);
    console.log(loadLine());
    const current = await child(HERE);
    console.log(loadLine());
    results.push({ base, current });
  }
  for (const [i, { base, current }] of results.entries()) {
    if (opts.rounds > 1) console.log(`\nround ${i + 1}`);
    console.log(
      '\nengine   scenario                    in flight │ baseline: /s   node ms  pg ms  dept ms  trips │ current: /s   node ms  pg ms  dept ms  trips │ node CPU ×',
    );
    for (const c of current) {
      const b = base.find((r) => r.engine === c.engine && r.scenario === c.scenario && r.concurrency === c.concurrency);
      console.log(
        `${c.engine.padEnd(8)} ${c.scenario.padEnd(27)} ${String(c.concurrency).padStart(9)} │ ${b ? cells(b) : ' '.repeat(43)} │ ${cells(c)} │ ${
          b ? (b.nodeCpuMs / c.nodeCpuMs).toFixed(1).padStart(6) : ''
        }`,
      );
    }
  }
}

function cells(r: Row): string {
  const ms = (v: number | null) => (v === null ? '—' : v.toFixed(2)).padStart(7);
  return `${r.perSecond.toFixed(0).padStart(11)} ${ms(r.nodeCpuMs)} ${ms(r.pgCpuMs)} ${ms(r.deptCpuMs)} ${(r.roundTrips === null ? '—' : r.roundTrips.toFixed(1)).padStart(6)}`;
}

function gitHead(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** This script again, measuring `root`, in its own process; its JSON line of rows. */
function child(root: string): Promise<Row[]> {
  const args = [
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--root',
    root,
    '--json',
    '--exchanges',
    String(opts.exchanges),
    '--warmup',
    String(opts.warmup),
    '--concurrency',
    opts.concurrency,
    '--engines',
    opts.engines,
  ];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { cwd: HERE, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      for (const line of chunk.split('\n')) if (line && !line.startsWith('{')) console.log(line);
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`bench child for ${root} exited with ${code}`));
      else resolve((JSON.parse(line) as { rows: Row[] }).rows);
    });
  });
}

/** Measures the code of one tree: its test factories, seed, department process and services. */
async function measureTree(root: string): Promise<void> {
  const load = <T>(file: string) => import(pathToFileURL(path.join(root, file)).href) as Promise<T>;
  const { createTestContext } = await load<typeof Factories>('test/factories.ts');
  const { seedDatasets } = await load<typeof Seed>('src/modules/sharing/sharing.seed.ts');
  const { newSigningKey, startDepartment } = await load<typeof Departments>('test/external-department.ts');
  const { hanDigits } = await load<typeof HanDigits>('src/demo/han-digits.ts');
  // Round trips: every query node-postgres sends for this tree's code (its own copy of pg).
  const pg = createRequire(path.join(root, 'package.json'))('pg') as typeof Pg;
  let queries = 0;
  const query = Reflect.get(pg.Client.prototype, 'query') as (...args: unknown[]) => unknown;
  Reflect.set(pg.Client.prototype, 'query', function (this: unknown, ...args: unknown[]) {
    queries++;
    return query.apply(this, args);
  });

  const rows: Row[] = [];
  const log = (line: string) => console.log(line);
  log(`measuring ${root}`);
  for (const engine of engines) {
    const platformKey = newSigningKey();
    const ctx = await createTestContext(engine, { externalSharing: { key: platformKey } });
    let department: Awaited<ReturnType<typeof startDepartment>> | undefined;
    try {
      const admin = ctx.services.sharingAdmin;
      await admin.upsertDatasets(seedDatasets(ctx.departments));
      const police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
      const cases: string[] = [];
      const externalRecords: { residentId: string; data: Record<string, string> }[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await ctx.newResident({ name: `压测${hanDigits(i)}` });
        const birth = { childName: `宝${hanDigits(i)}`, certificateNo: `O${i}` };
        externalRecords.push({ residentId: r.residentId, data: birth });
        await admin.upsertRecords('health.birth_record', [{ residentId: r.residentId, data: birth }]);
        await admin.upsertRecords('civil.marriage_record', [
          { residentId: r.residentId, data: { maritalStatus: '已婚', spouseName: `配偶${hanDigits(i)}` } },
        ]);
        const submitted = await ctx.services.applications.submit(r, {
          serviceCode: 'birth.household_registration',
          form: { childName: `宝${hanDigits(i)}`, householdHead: '户主' },
        });
        cases.push(submitted.case.id);
      }
      const until = new Date(Date.now() + 86_400_000);
      const grant = (datasetCode: string, fields: string[], consentRequired: boolean) =>
        admin.ensureGrant({
          datasetCode,
          consumerOrgCode: ctx.departments.public_security!,
          fields,
          purpose: 'birth.household_registration',
          legalBasis: 'bench',
          ...(consentRequired ? {} : { legalBasisCode: 'pipl-13-1-3' }),
          consentRequired,
          validUntil: until,
        });
      await grant('health.birth_record', ['childName', 'certificateNo'], false);
      await grant('civil.marriage_record', ['maritalStatus', 'spouseName'], true);
      department = await startDepartment({
        name: '压测医院',
        datasets: [{ code: 'bench.external_birth_record', records: externalRecords }],
        trust: [platformKey.publicKeyPem],
      });
      const internalBirth = seedDatasets(ctx.departments).find((d) => d.code === 'health.birth_record')!;
      await admin.upsertDatasets([{ ...internalBirth, code: 'bench.external_birth_record', provider: department.provider() }]);
      await grant('bench.external_birth_record', ['childName', 'certificateNo'], false);

      const [{ name: dbName } = { name: '' }] =
        engine === 'postgres'
          ? ((await ctx.database.db.execute('SELECT current_database() AS name')) as unknown as { rows: { name: string }[] }).rows
          : [];
      const pgMeter = engine === 'postgres' ? new CpuMeter(() => backendPids(process.env.DATABASE_URL!, dbName)) : null;

      let keys = 0;
      const scenario = async (name: string, datasetCode: string, fields: string[], concurrency: number) => {
        const runMany = async (count: number) => {
          let next = 0;
          const worker = async () => {
            for (let i = next++; i < count; i = next++) {
              await ctx.services.dataSharing.requestExchange(police, {
                requestKey: `bench-exchange-${keys++}`,
                datasetCode,
                fields,
                purpose: 'birth.household_registration',
                caseId: cases[i % cases.length]!,
              });
            }
          };
          await Promise.all(Array.from({ length: concurrency }, worker));
        };
        await runMany(opts.warmup);
        const external = datasetCode.startsWith('bench.external') && department;
        const dept0 = external ? processCpuMs(department!.process.pid!) : null;
        await pgMeter?.start();
        const q0 = queries;
        const cpu0 = cpuUsage();
        const t0 = performance.now();
        await runMany(opts.exchanges);
        const wall = performance.now() - t0;
        const cpu = cpuUsage(cpu0);
        const trips = queries - q0;
        const pgMs = pgMeter ? await pgMeter.stop() : null;
        const dept1 = external ? processCpuMs(department!.process.pid!) : null;
        const row: Row = {
          engine,
          scenario: name,
          concurrency,
          perSecond: (opts.exchanges / wall) * 1000,
          nodeCpuMs: (cpu.user + cpu.system) / 1000 / opts.exchanges,
          pgCpuMs: pgMs === null ? null : pgMs / opts.exchanges,
          deptCpuMs: dept0 !== null && dept1 !== null ? (dept1 - dept0) / opts.exchanges : null,
          roundTrips: engine === 'postgres' ? trips / opts.exchanges : null,
        };
        rows.push(row);
        log(
          `${engine.padEnd(8)} ${name.padEnd(27)} c=${String(concurrency).padEnd(3)} ${row.perSecond.toFixed(0).padStart(6)} /s  ${row.nodeCpuMs.toFixed(2)} ms node CPU` +
            `${row.pgCpuMs === null ? '' : `  ${row.pgCpuMs.toFixed(2)} ms PostgreSQL CPU`}${row.deptCpuMs === null ? '' : `  ${row.deptCpuMs.toFixed(2)} ms department CPU`}` +
            `${row.roundTrips === null ? '' : `  ${row.roundTrips.toFixed(1)} round trips`}  (${loadLine()})`,
        );
      };
      for (const c of concurrencies) await scenario('internal, completed', 'health.birth_record', ['childName', 'certificateNo'], c);
      await scenario('internal, pending consent', 'civil.marriage_record', ['spouseName'], concurrencies[0]!);
      for (const c of concurrencies)
        await scenario('external signed, completed', 'bench.external_birth_record', ['childName', 'certificateNo'], c);
      const stats = await department.stats();
      log(`department: ${stats.received} queries received, ${stats.distinctRequests} distinct, refused ${JSON.stringify(stats.refused)}`);
    } finally {
      await department?.stop();
      await ctx.close();
    }
  }
  if (opts.json) console.log(JSON.stringify({ root, rows }));
}
