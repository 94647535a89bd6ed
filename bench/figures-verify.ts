/**
 * Verifying a month of public rating figures for a city from its leaves (issue 15, floor < 10 s):
 * the `rating.v1` leaves of a city-month (default 200,000 ratings over 8 counties × 25 villages,
 * with their rectifications, callbacks and appeals, and one certificate leaf per four ratings in
 * between) are appended through the ledger's append path, sequenced and signed; the month is
 * published (`createPublicFigures`), and the bundle is verified as `yiban figures verify` does:
 * JSON parse, checkpoint signature, range proof over every entry, boundaries, recomputation.
 *
 *   npx tsx bench/figures-verify.ts [--ratings 200000] [--server-url postgres://…]   (default: embedded PGlite)
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { openDatabase, type Database } from '../src/db/database.ts';
import { createLedgerService } from '../src/modules/ledger/ledger.service.ts';
import { createPublicFigures, type PublicFiguresDeps } from '../src/modules/ratings/figures.ts';
import { encodeRatingLeaf, type RatingLeafEvent } from '../src/modules/ratings/leaf.ts';
import { verifyFiguresBundle, type FiguresBundle } from '../src/verify/figures-bundle.ts';
import { adminQuery, databaseUrlFor } from './support/databases.ts';
import { table, verdict } from './support/stats.ts';

export const FIGURES_VERIFY_FLOOR_MS = 10_000;
const CITY = '1301';
const counties = Array.from({ length: 8 }, (_, i) => `1301${String(2 + i).padStart(2, '0')}`);
const villages = counties.flatMap((c) => Array.from({ length: 25 }, (_, v) => `${c}100${String(200 + v)}`));

/** The orgs the leaves name, as the directory would answer (code, name, path, parent). */
function stubOrgs(): PublicFiguresDeps['orgs'] {
  const pathOf = (code: string): string =>
    code.length === 2
      ? code
      : code.length === 4
        ? `13.${code}`
        : code.length === 6
          ? `13.1301.${code}`
          : `13.1301.${code.slice(0, 6)}.${code}`;
  return {
    byCode: (code: string) =>
      Promise.resolve(
        /^13(01(0[2-9](100\d{3})?)?)?$/.test(code) || code === CITY
          ? ({ code, name: code, path: pathOf(code), parentCode: pathOf(code).split('.').at(-2) ?? null } as never)
          : null,
      ),
  };
}

function* monthLeaves(ratings: number): Generator<{ kind: string; data: Uint8Array }> {
  const from = Date.parse('2026-10-31T16:00:00Z'); // 1 November, China time
  const span = 30 * 86_400_000;
  const leaf = (event: RatingLeafEvent, at: number) => ({ kind: 'rating.v1', data: encodeRatingLeaf(event, new Date(at)) });
  yield leaf(
    {
      event: 'rated',
      rating: 'before',
      org: villages[0]!,
      service: 'cert.residence',
      subject: 'case',
      level: 5,
      channel: 'app',
      realName: true,
      rater: null,
    },
    from - 86_400_000,
  );
  for (let i = 0; i < ratings; i++) {
    const at = from + Math.floor((i / ratings) * span);
    const base = { rating: `r${i}`, org: villages[i % villages.length]!, service: i % 3 === 0 ? 'cert.residence' : 'cert.no_criminal' };
    const level = i % 13 === 0 ? 1 + (i % 2) : 3 + (i % 3);
    yield leaf({ ...base, event: 'rated', subject: 'case', level, channel: 'app', realName: i % 10 !== 0, rater: null }, at);
    if (level <= 2) {
      const deadline = new Date(at + 8 * 3_600_000 + 7 * 86_400_000).toISOString().slice(0, 10);
      yield leaf({ ...base, event: 'rectification.opened', rectification: `t${i}`, workingDays: 5, deadline }, at);
      yield leaf({ ...base, event: 'callback', outcome: 'reached' }, at + 3_600_000);
      yield leaf({ ...base, event: 'rectification.replied', rectification: `t${i}`, deadline, onTime: i % 7 !== 0 }, at + 2 * 86_400_000);
      if (i % 91 === 0) yield leaf({ ...base, event: 'appeal.decided', decision: 'overturned' }, at + 86_400_000);
    }
    if (i % 4 === 0) yield { kind: 'certificate.issued', data: randomBytes(96) };
  }
  yield leaf(
    {
      event: 'rated',
      rating: 'after',
      org: villages[0]!,
      service: 'cert.residence',
      subject: 'case',
      level: 4,
      channel: 'app',
      realName: true,
      rater: null,
    },
    from + span + 5 * 86_400_000,
  );
}

export async function benchFiguresVerify(options: { ratings: number; serverUrl?: string; log: (line: string) => void }) {
  const { log } = options;
  const name = `yiban_bench_figures_${Date.now().toString(36)}`;
  if (options.serverUrl) await adminQuery(options.serverUrl, `CREATE DATABASE ${name}`);
  const database: Database = options.serverUrl
    ? await openDatabase({ engine: 'postgres', url: databaseUrlFor(options.serverUrl, name), poolSize: 10 })
    : await openDatabase({ engine: 'pglite', memory: true });
  try {
    await database.migrate();
    const ledger = createLedgerService({ db: database.db, masterKey: randomBytes(32), origin: 'bench.yiban.local/ledger' });
    log(
      `figures verify benchmark: ${options.ratings.toLocaleString('en')} ratings of a city-month; ${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    let batch: { kind: string; data: Uint8Array }[] = [];
    let entries = 0;
    const started = performance.now();
    for (const entry of monthLeaves(options.ratings)) {
      batch.push(entry);
      if (batch.length === 2000) {
        await ledger.appendMany(batch);
        entries += batch.length;
        batch = [];
      }
    }
    await ledger.appendMany(batch);
    entries += batch.length;
    await ledger.sequenceNow({ timeoutMs: 600_000 });
    const appendMs = performance.now() - started;
    const figures = createPublicFigures({
      ledger,
      orgs: stubOrgs(),
      catalog: { getItem: () => Promise.resolve(null) },
      clock: () => new Date('2026-12-10T00:00:00Z'),
    });
    const p0 = performance.now();
    const json = await figures.bundleJson('2026-11');
    const publishMs = performance.now() - p0;
    const vkey = await ledger.vkey();
    const v0 = performance.now();
    const result = verifyFiguresBundle(JSON.parse(json) as FiguresBundle, vkey, { org: CITY });
    const verifyMs = performance.now() - v0;
    const pass = result.status === 'VALID' && verifyMs < FIGURES_VERIFY_FLOOR_MS;
    log(
      table([
        ['measure', 'value'],
        ['ledger entries (rating leaves and others)', entries.toLocaleString('en')],
        ['append + sequence + sign', `${(appendMs / 1000).toFixed(1)} s`],
        ['publish the month (scan, proofs, figures)', `${(publishMs / 1000).toFixed(2)} s`],
        ['bundle size', `${(json.length / 1e6).toFixed(1)} MB`],
        [
          'verify the month (parse, signature, range proof, recompute)',
          `${(verifyMs / 1000).toFixed(2)} s (floor ${FIGURES_VERIFY_FLOOR_MS / 1000} s) ${verdict(pass)}`,
        ],
        [
          'result',
          `${result.status}${result.status === 'VALID' ? ` — city good rate ${String(result.org?.figures.total.goodRate)}` : ` ${result.reason}: ${result.detail}`}`,
        ],
      ]),
    );
    return { entries, appendMs, publishMs, verifyMs, bundleBytes: json.length, valid: result.status === 'VALID', pass };
  } finally {
    await database.close();
    if (options.serverUrl) await adminQuery(options.serverUrl, `DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts = new Command('bench-figures-verify')
    .option('--ratings <n>', 'ratings in the city-month', (v) => Number(v), 200_000)
    .option('--server-url <url>', 'PostgreSQL server for the benchmark database (default: embedded PGlite)')
    .parse(process.argv)
    .opts<{ ratings: number; serverUrl?: string }>();
  const result = await benchFiguresVerify({ ...opts, log: (line) => console.log(line) });
  process.exitCode = result.pass ? 0 : 1;
}
