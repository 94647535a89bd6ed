/**
 * `npm run bench`: the benchmarks one after another, each on databases of its own.
 *
 *   npm run bench                                   all: case submission, queue (1M residents / 200k cases), divisions, ledger, SM2, verification, PDF, issuance, birth bundle, rules, insurance engine
 *   npm run bench -- --only queue --full            queue at 10M residents / 1M cases
 *   npm run bench -- --only submission,divisions
 *
 * The divisions, ledger, SM2, verification, PDF and issuance benchmarks run as scripts in processes of their own,
 * through their own command lines.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import pg from 'pg';
import { benchCaseSubmission, floorVerdicts, type EngineReport } from './case-submission.ts';
import { benchQueue } from './queue.ts';
import { DEFAULT_SERVER_URL } from './support/databases.ts';
import { loadLine } from './support/machine.ts';

const BENCHES = ['submission', 'queue', 'divisions', 'ledger', 'sm2', 'verify', 'pdf', 'issuance', 'bundle', 'rules', 'insurance'] as const;
type Bench = (typeof BENCHES)[number];
/** Benchmarks that run as scripts of their own, in a child process, through their own command line. */
const SCRIPTS: Partial<Record<Bench, string>> = {
  divisions: fileURLToPath(new URL('./load-divisions.ts', import.meta.url)),
  ledger: fileURLToPath(new URL('./ledger.ts', import.meta.url)),
  sm2: fileURLToPath(new URL('./sm2.ts', import.meta.url)),
  verify: fileURLToPath(new URL('./verify.ts', import.meta.url)),
  pdf: fileURLToPath(new URL('./pdf.ts', import.meta.url)),
  // Exits 1 below the floor (OpenAttestation's wrapDocuments rate) or on a count mismatch.
  issuance: fileURLToPath(new URL('./issuance.ts', import.meta.url)),
  // Exits 1 when the PGlite p95 is not under 2 s (issue 5's floor).
  bundle: fileURLToPath(new URL('./bundle.ts', import.meta.url)),
  // Exits 1 under 20,000 traced evaluations/s or not faster than parsing per resident (issue 13's floor).
  rules: fileURLToPath(new URL('./rules.ts', import.meta.url)),
  // Exits 1 under 50,000 fee lines settled per second on one core (issue 14's floor). The window's round trip
  // (bench/insurance-window.ts) starts server processes on PostgreSQL and runs on its own.
  insurance: fileURLToPath(new URL('./insurance-engine.ts', import.meta.url)),
};

const program = new Command('bench')
  .description('Yiban benchmarks')
  .option('--only <list>', `comma-separated: ${BENCHES.join(', ')}`, BENCHES.join(','))
  .option('--full', 'queue at 10M residents / 1M cases (default 1M / 200k)', false)
  .option('--engines <list>', 'case submission engines', 'postgres,pglite')
  .option('--duration <s>', 'seconds per submission run', (v) => Number(v), 15)
  .option('--requests <n>', 'measured requests per queue scenario', (v) => Number(v), 500)
  .option('--server-url <url>', 'PostgreSQL server for the benchmark databases', DEFAULT_SERVER_URL)
  .parse(process.argv);

const opts = program.opts<{ only: string; full: boolean; engines: string; duration: number; requests: number; serverUrl: string }>();
const selected = opts.only.split(',').map((s) => s.trim()) as Bench[];
for (const s of selected) if (!BENCHES.includes(s)) throw new Error(`unknown benchmark ${s}; choose from ${BENCHES.join(', ')}`);
const log = (line: string) => console.log(line);

await printMachine(opts.serverUrl);
const failures: string[] = [];

if (selected.includes('submission')) {
  const reports = await benchCaseSubmission({
    engines: opts.engines.split(',').map((e) => e.trim()) as EngineReport['engine'][],
    residents: 200,
    connections: 50,
    durationSeconds: opts.duration,
    rate: 1000,
    serverUrl: opts.serverUrl,
    log,
  });
  if (reports.some((r) => r.totalCases !== r.totalConfirmed || r.runs.some((f) => !f.reconciliation.consistent))) {
    failures.push('submission: cases and 2xx responses differ');
  }
  for (const v of floorVerdicts(reports, 1000)) {
    if (!v.pass) failures.push(`submission: ${v.load} p99 ${v.p99.toFixed(1)} ms at ${v.reqPerSec.toFixed(0)} req/s`);
  }
  printLoad();
}

if (selected.includes('queue')) {
  const results = await benchQueue({
    residents: opts.full ? 10_000_000 : 1_000_000,
    cases: opts.full ? 1_000_000 : 200_000,
    requests: opts.requests,
    keep: false,
    serverUrl: opts.serverUrl,
    log,
  });
  for (const r of results) if (!r.pass) failures.push(`queue: ${r.name} p99 ${r.latency.p99.toFixed(1)} ms`);
  printLoad();
}

for (const [bench, script] of Object.entries(SCRIPTS) as [Bench, string][]) {
  if (!selected.includes(bench)) continue;
  if (!existsSync(script)) {
    log(`\n[${bench}] ${script} does not exist: skipped`);
    continue;
  }
  log(`\n[${bench}] ${script}`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: 'inherit',
      env: { ...process.env, DATABASE_URL: opts.serverUrl },
    });
    child.on('exit', resolve);
  });
  if (code !== 0) failures.push(`${bench}: exit code ${code}`);
  printLoad();
}

log(failures.length === 0 ? '\nall benchmarks within their floors' : `\nbelow the floor or inconsistent:\n  ${failures.join('\n  ')}`);
if (failures.length > 0) process.exitCode = 1;

async function printMachine(serverUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  let version = '?';
  try {
    version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  } finally {
    await client.end();
  }
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${gib(totalmem())} RAM (${gib(freemem())} free), Node ${process.version}, PostgreSQL ${version}`,
  );
  printLoad();
}

function printLoad(): void {
  log(loadLine());
}
