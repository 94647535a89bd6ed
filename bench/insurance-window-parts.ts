/**
 * Where the window's CPU goes, call by call, in one process on PostgreSQL with nothing else
 * running: the same settlements (2301 of 30 lines, 2303, 2304), one at a time,
 *
 *   service    `insurance.handleTransaction` called directly (the window's logic and database work),
 *   http       through the app (`app.inject`: routing, hooks, the body, the answer) with the
 *              hospital's SM2 signature and the platform's signed answer on both sides,
 *   statements the settlements' statements sealed afterwards by the outbox's handlers, per statement,
 *   signatures the hospital's signing and the platform's verifying of a request, the platform's
 *              signing and the hospital's verifying of its answer, alone (no app, no database).
 *
 * Each figure is CPU per settlement (three calls): this process, and the PostgreSQL backends. The
 * difference http − service − signatures is what the HTTP layer costs (in process: no sockets).
 *
 *   npx tsx bench/insurance-window-parts.ts [--settlements 300] [--server-url postgres://…] [--profile http.cpuprofile]
 *
 * `--profile FILE` writes a V8 CPU profile of the http variant alone (open it in Chrome's DevTools).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { seedPlatform } from '../src/demo/demo-data.ts';
import { buildApp, openPlatform } from '../src/platform.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import { createHospitalClient } from '../src/modules/insurance/hospital-client.ts';
import { feeLinesFor, seeded } from '../src/modules/insurance/hospital-simulate.ts';
import { institutionKeyId } from '../src/modules/insurance/hospital-system.ts';
import { madeUpResidents } from '../src/modules/insurance/insurance.cli.ts';
import type { Envelope } from '../src/modules/insurance/envelope.ts';
import { canonicalJson } from '../src/verify/document.ts';
import { signRequest, signResponse, sm2SigningKey, sm2VerifyingKey, verifyRequest, verifyResponse } from '../src/modules/sharing/index.ts';
import { sm2GenerateKeyPair } from '../src/verify/sm2-keys.ts';
import { backendPids, CpuMeter } from './support/cpu.ts';
import { benchConfig, createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { loadLine } from './support/machine.ts';

const REGION = '450800';
const HOSPITAL = 'H45010300100';
const program = new Command()
  .option('--settlements <n>', 'settlements per variant', (v) => Number(v), 300)
  .option('--server-url <url>', 'PostgreSQL server', DEFAULT_SERVER_URL)
  .option('--profile <file>', 'write a CPU profile of the http variant')
  .parse();
const opts = program.opts<{ settlements: number; serverUrl: string; profile?: string }>();
const log = (line: string) => console.log(line);

const bench = await createBenchDatabase('postgres', 'window_parts', opts.serverUrl);
try {
  const platform = await openPlatform(benchConfig(bench, randomBytes(32)));
  const db = platform.database.db;
  log('seeding…');
  await seedPlatform(platform.database, platform.services, { divisions: { prefix: '130123' } });
  await seedInsurance(db, []);
  const insurance = platform.services.insurance;
  const interfaceKey = await insurance.interfaceKey();
  const pair = sm2GenerateKeyPair();
  const key = sm2SigningKey(institutionKeyId(HOSPITAL, sm2SigningKey('draft', pair.privateKey).publicKey), pair.privateKey);
  await platform.services.insuranceAdmin.registerInstitution({
    code: HOSPITAL,
    nameZh: '南宁市测试医院',
    nameEn: 'Test hospital',
    level: 3,
    region: '450103',
    keyId: key.keyId,
    publicKey: key.publicKey,
  });
  const institution = (await insurance.reference.institutionByKey(key.keyId))!;
  const residents = madeUpResidents(2 * (opts.settlements + 20) + 10, REGION, 7);
  const psnNos: string[] = [];
  for (const r of residents)
    psnNos.push(await platform.services.insuranceAdmin.enrol({ ...r, scheme: 'resident', region: REGION, fromDate: '2020-01-01' }));

  const app = await buildApp(platform, { logLevel: 'silent' });
  const client = createHospitalClient({
    baseUrl: 'http://127.0.0.1',
    hospital: { code: HOSPITAL, region: '450103', key },
    platformKey: { keyId: interfaceKey.keyId, publicKeySpki: interfaceKey.publicKeySpki },
    transport: async ({ url, headers, body }) => {
      const res = await app.inject({
        method: 'POST',
        url: new URL(url).pathname,
        headers: { ...headers, host: '127.0.0.1' },
        payload: body,
      });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
      return { status: res.statusCode, headers: out, body: res.body };
    },
  });
  const random = seeded(7);
  const feedetail = () =>
    feeLinesFor(random, 30, true).map((l) => ({ feedetl_sn: l.sn, med_list_codg: l.code, cnt: l.quantity, pric_fen: l.priceFen }));
  const region = { insuranceRegion: REGION };
  let patient = 0;
  const open = async () =>
    (await client.call('2001', { psn_no: psnNos[patient++], med_type: '21', begntime: '2026-09-01' }, region)).answer.output!
      .mdtrt_id as string;

  const countStatements = async () =>
    (await db.execute<{ n: number }>(sql`select count(*)::int as n from insurance_settlements where certificate_id is not null`)).rows[0]!
      .n;
  const meter = (pids: () => Promise<number[]>) => new CpuMeter(pids);
  const postgres = meter(() => backendPids(opts.serverUrl, bench.label));
  /** CPU ms per thread name of this process (the main thread, V8's helpers, libuv's pool). */
  const threads = () => {
    const out = new Map<string, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
        const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
        out.set(`${name} user`, (out.get(`${name} user`) ?? 0) + Number(f[11]) * 10);
        out.set(`${name} sys`, (out.get(`${name} sys`) ?? 0) + Number(f[12]) * 10);
      } catch {
        // a thread that ended
      }
    }
    return out;
  };
  async function measure(name: string, settle: (mdtrtId: string) => Promise<void>, warm = 20, profile?: string) {
    const ids: string[] = [];
    for (let i = 0; i < opts.settlements + warm; i++) ids.push(await open());
    for (const id of ids.slice(0, warm)) await settle(id);
    const session = profile ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const threads0 = threads();
    const node0 = process.cpuUsage();
    await postgres.start();
    const t0 = performance.now();
    for (const id of ids.slice(warm)) await settle(id);
    const wall = performance.now() - t0;
    if (session) {
      const { profile: recorded } = await session.post('Profiler.stop');
      writeFileSync(profile!, JSON.stringify(recorded));
      session.disconnect();
    }
    const pgMs = await postgres.stop();
    const used = process.cpuUsage(node0);
    const nodeMs = (used.user + used.system) / 1000;
    const n = opts.settlements;
    const byThread = [...threads()]
      .map(([t, ms]) => [t, (ms - (threads0.get(t) ?? 0)) / n] as const)
      .filter(([, ms]) => ms > 0)
      .sort((a, b) => b[1] - a[1]);
    log(`  by thread: ${byThread.map(([t, ms]) => `${t.trim()} ${ms.toFixed(2)}`).join(', ')}`);
    log(
      `${name.padEnd(11)} node ${(nodeMs / n).toFixed(2)} ms + PostgreSQL ${(pgMs / n).toFixed(2)} ms CPU per settlement; wall ${(wall / n).toFixed(2)} ms`,
    );
    return { node: nodeMs / n, pg: pgMs / n };
  }

  const envelope = (infno: string, input: Record<string, unknown>): Envelope =>
    ({
      infno,
      msgid: `${HOSPITAL}${Date.now()}${randomBytes(4).toString('hex')}`,
      mdtrtarea_admvs: '450103',
      insuplc_admdvs: REGION,
      fixmedins_code: HOSPITAL,
      inf_time: new Date().toISOString(),
      input,
    }) as Envelope;
  const digest = (e: Envelope) =>
    createHash('sha256')
      .update(
        canonicalJson({
          infno: e.infno,
          mdtrtarea_admvs: e.mdtrtarea_admvs,
          insuplc_admdvs: e.insuplc_admdvs,
          fixmedins_code: e.fixmedins_code,
          input: e.input,
        }),
      )
      .digest('hex');
  const direct = async (e: Envelope) => {
    const a = await insurance.handleTransaction(institution, e, digest(e));
    if (a.infcode !== 0) throw new Error(`${e.infno}: ${a.err_code}`);
    return a;
  };

  log(`${opts.settlements} settlements per variant, one at a time; ${loadLine()}`);
  const service = await measure('service', async (mdtrtId) => {
    await direct(envelope('2301', { mdtrt_id: mdtrtId, feedetail: feedetail() }));
    const pre = (await direct(envelope('2303', { mdtrt_id: mdtrtId }))).output!;
    await direct(envelope('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }));
  });
  const http = await measure(
    'http',
    async (mdtrtId) => {
      await client.call('2301', { mdtrt_id: mdtrtId, feedetail: feedetail() }, region);
      const pre = (await client.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
      await client.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, region);
    },
    20,
    opts.profile,
  );

  // The statements (结算单) of the settlements above, sealed by the outbox's handlers as a server's
  // worker seals them (with the other events those settlements and statements raise).
  const sealedBefore = await countStatements();
  {
    const node0 = process.cpuUsage();
    await postgres.start();
    await platform.services.events.drain();
    const pgMs = await postgres.stop();
    const used = process.cpuUsage(node0);
    const sealed = (await countStatements()) - sealedBefore;
    const [stored] = (
      await db.execute<{ bytes: number }>(
        sql`select avg(pg_column_size(disclosures))::int as bytes from certificates where type_code = 'insurance_settlement_statement'`,
      )
    ).rows;
    log(
      `statements  node ${((used.user + used.system) / 1000 / sealed).toFixed(2)} ms + PostgreSQL ${(pgMs / sealed).toFixed(2)} ms CPU per statement sealed (${sealed}, with their events); its sealed fields ${stored!.bytes} bytes stored`,
    );
  }

  // The signatures alone: three requests and answers of the sizes above.
  const verifying = sm2VerifyingKey(key.publicKey);
  const platformVerifying = sm2VerifyingKey(interfaceKey.publicKeySpki);
  const url = 'http://127.0.0.1/api/insurance/hsa/v1/transactions';
  const bodies = [JSON.stringify(envelope('2301', { mdtrt_id: 'X', feedetail: feedetail() })), JSON.stringify(envelope('2303', {})), '{}'];
  const answer = JSON.stringify({ infcode: 0, output: { lines: feedetail() } });
  const node0 = process.cpuUsage();
  for (let i = 0; i < opts.settlements; i++)
    for (const body of bodies) {
      const signed = await signRequest(key, { url, body, idempotencyKey: String(i), now: new Date() });
      await verifyRequest({ method: 'POST', ...signed }, { windowSeconds: 300, keyFor: () => verifying });
      const headers = await signResponse(
        { keyId: interfaceKey.keyId, alg: 'sm2-sm3', sign: (m) => interfaceKey.sign(m) },
        { url, headers: signed.headers },
        { status: 200, body: answer },
      );
      await verifyResponse(
        signed,
        { status: 200, headers, body: answer },
        { windowSeconds: 300, keyFor: () => platformVerifying, now: new Date() },
      );
    }
  const used = process.cpuUsage(node0);
  const signatures = (used.user + used.system) / 1000 / opts.settlements;
  log(`signatures  node ${signatures.toFixed(2)} ms per settlement (3 requests and 3 answers, signed and verified)`);
  log(
    `the HTTP layer (http − service − signatures): node ${(http.node - service.node - signatures).toFixed(2)} ms, PostgreSQL ${(http.pg - service.pg).toFixed(2)} ms per settlement`,
  );
  await app.close();
  await platform.close();
} finally {
  await bench.drop();
}
