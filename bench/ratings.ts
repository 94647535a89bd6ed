/**
 * Rating submission (issue 15's floor: p99 < 20 ms at 500 ratings per second): residents rate the
 * service they just had at a window, each from the pad page by the encounter's token (一次一评:
 * POST /api/rating-encounters/:token/rating, no login), against server processes (`yiban serve`)
 * on one fresh PostgreSQL database. One in twenty ratings is bad and opens its rectification task,
 * with its ledger leaves and event, in the same transaction.
 *
 * Open loop: rating i is sent at go + i / rate whether or not earlier ones have answered, and its
 * latency is also counted from when it was due, so a server that falls behind shows. Every
 * rating comes from another resident (a token of its own): one request at a time per user.
 *
 *   npx tsx bench/ratings.ts [--rate 500] [--seconds 15] [--servers 2] [--background 0] [--server-url postgres://…]
 *   BENCH_PROFILE_DIR=/tmp/prof … writes each server's CPU profile (node --cpu-prof) when it exits.
 *
 * Prints p50/p90/p99/max, CPU per rating (servers, PostgreSQL, this generator) and the check: one
 * rating row and one `rated` leaf per answered rating, a rectification per bad one, none twice.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { seedPlatform } from '../src/demo/demo-data.ts';
import { openPlatform } from '../src/platform.ts';
import { createHttpClient, type HttpClient } from './support/http.ts';
import { startYibanServers, type YibanServers } from './support/yiban-serve.ts';
import { backendPids, CpuMeter, processCpuMs } from './support/cpu.ts';
import { benchConfig, createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { loadLine } from './support/machine.ts';
import { ms, summarise, table, verdict } from './support/stats.ts';

const FLOOR_P99_MS = 20;
const COUNTY = '130123';

const program = new Command()
  .option('--rate <n>', 'ratings offered per second', (v) => Number(v), 500)
  .option('--seconds <n>', 'how long the load runs', (v) => Number(v), 15)
  .option('--servers <n>', 'platform server processes', (v) => Number(v), 2)
  .option(
    '--background <n>',
    'background processes (`yiban serve --role background`); with n > 0 the servers run `--role api`',
    (v) => Number(v),
    0,
  )
  .option('--server-url <url>', 'PostgreSQL server', DEFAULT_SERVER_URL)
  .parse();
const opts = program.opts<{ rate: number; seconds: number; servers: number; background: number; serverUrl: string }>();
const log = (line: string) => console.log(line);

const TOKEN_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const token = () => Array.from(randomBytes(12), (b) => TOKEN_ALPHABET[b % TOKEN_ALPHABET.length]).join('');

const total = Math.round(opts.rate * opts.seconds);
const warm = Math.min(200, Math.max(20, Math.floor(total / 20)));
const bench = await createBenchDatabase('postgres', 'ratings', opts.serverUrl);
let servers: YibanServers | undefined;
let clients: HttpClient[] = [];
try {
  const masterKey = randomBytes(32);
  const platform = await openPlatform(benchConfig(bench, masterKey));
  const db = platform.database.db;
  log(`seeding the platform (divisions of ${COUNTY}, departments, the catalogue)…`);
  await seedPlatform(platform.database, platform.services, { divisions: { prefix: COUNTY } });
  const orgRows = (
    await db.execute<{ code: string; path: string }>(
      sql`select code, path from orgs where level in ('township', 'department') and code like ${`${COUNTY}%`} order by code limit 20`,
    )
  ).rows;
  const serviceRows = (await db.execute<{ code: string }>(sql`select code from service_items order by code limit 20`)).rows;
  if (orgRows.length === 0 || serviceRows.length === 0) throw new Error('the seed has no township or no service item');
  log(`opening ${warm + total} window encounters over ${orgRows.length} orgs and ${serviceRows.length} services…`);
  const tokens: string[] = [];
  const now = Date.now();
  for (let i = 0; i < warm + total; i += 5000) {
    const n = Math.min(5000, warm + total - i);
    const rows = Array.from({ length: n }, (_, k) => {
      const org = orgRows[(i + k) % orgRows.length]!;
      const t = token();
      tokens.push(t);
      return { t, org: org.code, path: org.path, service: serviceRows[(i + k) % serviceRows.length]!.code };
    });
    await db.execute(sql`insert into rating_encounters (token, channel, org_code, org_path, service_code, opened_by, opened_at, expires_at)
      select t, 'window', o, p, s, ${randomUUID()}::uuid, ${new Date(now).toISOString()}::timestamptz, ${new Date(now + 15 * 86_400_000).toISOString()}::timestamptz
      from unnest(${sql.param(rows.map((r) => r.t))}::text[], ${sql.param(rows.map((r) => r.org))}::text[], ${sql.param(rows.map((r) => r.path))}::text[], ${sql.param(rows.map((r) => r.service))}::text[]) as v(t, o, p, s)`);
  }

  servers = await startYibanServers({
    count: opts.servers,
    databaseUrl: bench.databaseUrl!,
    masterKey,
    label: 'ratings',
    background: opts.background,
  });
  const { bases, children } = servers;
  clients = bases.map((base) => createHttpClient(base, 64));

  // Levels: 5 5 4 5 3 5 4 5 5 2 … one bad (1 or 2) in twenty.
  const levelOf = (i: number) => (i % 20 === 9 ? 1 + (i % 2) : [5, 5, 4, 5, 3, 5, 4, 5, 5, 5][i % 10]!);
  const latencies: number[] = [];
  const fromDue: number[] = [];
  const failures: string[] = [];
  let failed = 0;
  let bad = 0;
  async function rateOne(i: number, due: number, measured: boolean): Promise<void> {
    const t0 = performance.now();
    const level = levelOf(i);
    const body = JSON.stringify({ level, indicators: { serviceEfficiency: level, serviceAttitude: level }, via: 'pad' });
    try {
      const res = await clients[i % clients.length]!.request({ method: 'POST', path: `/api/rating-encounters/${tokens[i]}/rating`, body });
      if (res.status !== 200) throw new Error(`${res.status} ${res.body.slice(0, 200)}`);
      if (level <= 2) bad++;
      if (!measured) return;
      const t1 = performance.now();
      latencies.push(t1 - t0);
      fromDue.push(t1 - due);
    } catch (error) {
      failed++;
      if (failures.length < 5) failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  for (let i = 0; i < warm; i += 10)
    await Promise.all(Array.from({ length: Math.min(10, warm - i) }, (_, k) => rateOne(i + k, performance.now(), false)));
  if (failed > 0) throw new Error(`the warm-up failed: ${failures.join(' | ')}`);

  const serverCpu = new CpuMeter(async () => children.map((c) => c.pid!).filter(Boolean));
  const postgresCpu = new CpuMeter(() => backendPids(opts.serverUrl, bench.label));
  await serverCpu.start();
  await postgresCpu.start();
  const generatorBefore = processCpuMs(process.pid) ?? 0;
  log(
    `offering ${total} ratings at ${opts.rate}/s to ${opts.servers} server processes${opts.background ? ` (--role api; ${opts.background} --role background)` : ''}; ${loadLine()}`,
  );
  const go = performance.now();
  const all: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const due = go + (n * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    all.push(rateOne(warm + n, due, true));
  }
  await Promise.all(all);
  const wall = (performance.now() - go) / 1000;
  const serverMs = await serverCpu.stop();
  const postgresMs = await postgresCpu.stop();
  const generatorMs = (processCpuMs(process.pid) ?? generatorBefore) - generatorBefore;

  const count = async (q: ReturnType<typeof sql>) => Number((await db.execute<{ n: number }>(q)).rows[0]!.n);
  const ratingRows = await count(sql`select count(*)::int as n from ratings`);
  const tasks = await count(sql`select count(*)::int as n from rectifications`);
  const ratedLeaves = await count(
    sql`select count(*)::int as n from (select data from ledger_queue where kind = 'rating.v1' union all
         select data from ledger_entries where kind = 'rating.v1') l where position('"event":"rated"' in convert_from(l.data, 'UTF8')) > 0`,
  );
  const done = latencies.length;
  const s = summarise(latencies);
  const d = summarise(fromDue);
  log('');
  log(
    `achieved ${(done / wall).toFixed(0)} ratings/s over ${wall.toFixed(1)} s (offered ${opts.rate}/s); failed ${failed}${failures.length ? `: ${failures.join(' | ')}` : ''}`,
  );
  log(
    `CPU per rating: servers ${(serverMs / Math.max(done, 1)).toFixed(2)} ms, PostgreSQL ${(postgresMs / Math.max(done, 1)).toFixed(2)} ms, generator ${(generatorMs / Math.max(done, 1)).toFixed(2)} ms`,
  );
  log(
    `ratings in the database: ${ratingRows} (expected ${warm + done}); rectification tasks ${tasks} (bad ratings ${bad}); 'rated' leaves queued or sequenced: ${ratedLeaves}`,
  );
  log(
    table([
      ['ms', 'n', 'p50', 'p90', 'p99', 'max'],
      ['rating (pad, by token)', s.count, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)],
      ['… from when it was due', d.count, ms(d.p50), ms(d.p90), ms(d.p99), ms(d.max)],
    ]),
  );
  const pass =
    s.p99 < FLOOR_P99_MS &&
    d.p99 < FLOOR_P99_MS &&
    failed === 0 &&
    ratingRows === warm + done &&
    tasks === bad &&
    ratedLeaves === ratingRows;
  log(
    `floor: p99 < ${FLOOR_P99_MS} ms at ${opts.rate}/s offered (from start ${ms(s.p99)}, from due ${ms(d.p99)}), none failed, none twice: ${verdict(pass)}; ${loadLine()}`,
  );
  process.exitCode = pass ? 0 : 1;
  await platform.close();
} finally {
  for (const c of clients) c.close();
  await servers?.stop();
  await bench.drop();
}
