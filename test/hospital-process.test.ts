import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { appSuite } from './app-suite.ts';
import { testEngines } from './db.ts';
import { databaseUrl } from './db-template.ts';
import { freshResidentId } from './factories.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import { institutionInput } from '../src/modules/insurance/insurance.cli.ts';
import { readJournal, startHospital, type RunningHospital } from '../src/modules/insurance/hospital-process.ts';
import { chinaDay } from '../src/modules/insurance/insurance-context.ts';
import { localWindow, simulateDay } from '../src/modules/insurance/hospital-simulate.ts';
import { openHospitalSystem } from '../src/modules/insurance/hospital-system.ts';
import { insuranceMessages, insuranceSettlements } from '../src/modules/insurance/insurance.tables.ts';
import { maskResidentId } from '../src/modules/identity/index.ts';

/**
 * The hospital system as a process of its own (`yiban hospital serve`) against the platform
 * listening on a port (the test app; on PostgreSQL also `yiban serve` as a process), through a
 * small proxy that can hold or drop the settlement (2304) on its way: a stay settled end to end;
 * the hospital killed (SIGKILL) right after sending 2304, before and after the platform answered,
 * and restarted — one settlement, the journal answered; the platform killed and restarted while
 * the answer was on its way — the hospital sends again and it is settled once.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOSPITAL = 'H45010300007';
const GUIGANG = '450800';
const STAY = [
  { code: '001102000010000', quantity: 12, priceFen: 5_000, sn: 'L1' },
  { code: '001103000010000', quantity: 12, priceFen: 3_500, sn: 'L2' },
  { code: '003311000010000', quantity: 1, priceFen: 780_000, sn: 'L3' },
  { code: 'XB01ABE005B002010100732', quantity: 20, priceFen: 4_200, sn: 'L4' },
  { code: 'XN05CFZ017A001010101333', quantity: 2, priceFen: 3_000, sn: 'L5' },
  { code: 'C0311201000000107328', quantity: 1, priceFen: 880_000, sn: 'L6' },
];

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

type Hook = (phase: 'before' | 'after') => Promise<'pass' | 'drop'>;

/**
 * A pass-through proxy in front of the platform. A hook set for the next 2304 is called before it
 * is forwarded and after the platform answered; 'drop' closes the hospital's connection there.
 */
async function startProxy(target: () => string): Promise<{ url: string; next2304(hook: Hook): void; close(): Promise<void> }> {
  let hook: Hook | null = null;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const mine = body.includes('"infno":"2304"') ? hook : null;
        if (mine) hook = null;
        if (mine && (await mine('before')) === 'drop') return req.socket.destroy();
        const headers: IncomingHttpHeaders = { ...req.headers };
        delete headers.connection;
        delete headers['keep-alive'];
        let upstream: { status: number; headers: IncomingHttpHeaders; body: Buffer };
        try {
          upstream = await new Promise((resolve, reject) => {
            const u = new URL(req.url ?? '/', target());
            const out = request(u, { method: req.method, headers, agent: false }, (r) => {
              const parts: Buffer[] = [];
              r.on('data', (c: Buffer) => parts.push(c));
              r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) }));
              r.on('error', reject);
            });
            out.on('error', reject);
            out.end(body);
          });
        } catch {
          return req.socket.destroy();
        }
        if (mine && (await mine('after')) === 'drop') return req.socket.destroy();
        const h = { ...upstream.headers };
        delete h.connection;
        delete h['transfer-encoding'];
        delete h['keep-alive'];
        res.writeHead(upstream.status, { ...h, 'content-length': String(upstream.body.length) });
        res.end(upstream.body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    next2304: (h) => (hook = h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Each running hospital's local API token, by its URL. */
const tokens = new Map<string, string>();
const bearer = (base: string) => ({ authorization: `Bearer ${tokens.get(base) ?? ''}` });

async function post<T = Record<string, unknown>>(base: string, url: string, body: unknown = {}): Promise<{ status: number; json: T }> {
  const res = await fetch(`${base}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(base) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as T };
}

async function get<T>(base: string, url: string): Promise<T> {
  return (await (await fetch(`${base}${url}`, { headers: bearer(base) })).json()) as T;
}

describe.each(testEngines())('the hospital process against the platform on %s', (engine) => {
  const suite = appSuite(engine);
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  let platformUrl = '';
  /** The platform (this file's app) seeded with 贵港市's insurance and listening, once per engine. */
  async function listen() {
    const { ctx, app } = suite;
    if (platformUrl) return;
    await seedInsurance(ctx.database.db, [{ region: GUIGANG, nameZh: '贵港市', officeOrgCode: ctx.departments.medical_security! }]);
    await app.listen({ port: 0, host: '127.0.0.1' });
    platformUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  }

  /** A resident insured in 贵港市. */
  async function enrolPatient() {
    const residentId = freshResidentId();
    const psnNo = await suite.ctx.services.insuranceAdmin.enrol({
      residentId,
      name: '覃阿婆',
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2020-01-01',
    });
    return { residentId, psnNo };
  }

  /** The platform listening, a hospital process behind the proxy registered with its key, and a patient. */
  async function setup() {
    const { ctx } = suite;
    await listen();
    const proxy = await startProxy(() => platformUrl);
    cleanup.push(() => proxy.close());
    const stateDir = mkdtempSync(path.join(tmpdir(), 'yiban-hospital-'));
    cleanup.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const code = `H4501030${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    const spec = { platformUrl: proxy.url, code, region: '450103', stateDir, answerTimeoutMs: 60_000 };
    const hospitals: RunningHospital[] = [];
    const start = async () => {
      const h = await startHospital(spec);
      tokens.set(h.url, h.token);
      hospitals.push(h);
      return h;
    };
    cleanup.push(async () => {
      for (const h of hospitals) await h.stop();
    });
    const hospital = await start();
    // The key it made on first start, registered as the operator would (yiban insurance institution add).
    expect(readFileSync(hospital.publicKeyFile, 'utf8')).toContain('BEGIN PUBLIC KEY');
    const input = institutionInput({
      code,
      name: '南宁市第七人民医院',
      level: '3',
      region: '450103',
      publicKey: readFileSync(hospital.publicKeyFile, 'utf8'),
    });
    expect(input.keyId).toBe(hospital.keyId);
    await ctx.services.insuranceAdmin.registerInstitution(input);
    ctx.services.insurance.reference.clear();
    const { residentId, psnNo } = await enrolPatient();
    return { hospital, start, proxy, stateDir, residentId, psnNo };
  }

  const settlementsOf = async (mdtrtId: string) =>
    suite.ctx.database.db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, mdtrtId));

  async function openStay(base: string, residentId: string) {
    const opened = await post<{ mdtrtId: string }>(base, '/encounters', { certNo: residentId, medType: '21', begin: '2026-08-10' });
    expect(opened.status).toBe(200);
    const fees = await post(base, `/encounters/${opened.json.mdtrtId}/fees`, { lines: STAY });
    expect(fees.status).toBe(200);
    return opened.json.mdtrtId;
  }

  it('settles a stay end to end, reconciles the day, and logs no ID number', async () => {
    const { hospital, start, stateDir, residentId, psnNo } = await setup();
    // The local API answers only with the token of its state directory (mode 0600); /health is open.
    expect(statSync(path.join(stateDir, 'api-token')).mode & 0o777).toBe(0o600);
    const bare = await fetch(`${hospital.url}/encounters`, { method: 'POST', body: JSON.stringify({ certNo: residentId }) });
    expect([bare.status, ((await bare.json()) as { error: string }).error]).toEqual([401, 'UNAUTHENTICATED']);
    const wrong = await fetch(`${hospital.url}/settlements`, { headers: { authorization: `Bearer ${'x'.repeat(hospital.token.length)}` } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${hospital.url}/health`)).status).toBe(200);
    const mdtrtId = await openStay(hospital.url, residentId);
    const settled = await post<Record<string, number | string>>(hospital.url, `/encounters/${mdtrtId}/settle`, {
      list: { diagCode: 'S72.001', diagName: '股骨颈骨折' },
    });
    expect(settled.status).toBe(200);
    const out = settled.json;
    expect((out.hifp_pay as number) + (out.acct_pay as number) + (out.psn_cash_pay as number)).toBe(out.medfee_sumamt);
    expect(out.overlmt_selfpay).toBe(180_000 + 14_000);
    const rows = await settlementsOf(mdtrtId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ psnNo, totalFen: out.medfee_sumamt, status: 'settled' });

    const recon = await post<{ matched: boolean; regions: { region: string; count: number }[] }>(hospital.url, '/reconcile', {
      day: chinaDay(new Date()),
    });
    expect(recon.status).toBe(200);
    expect(recon.json).toMatchObject({ matched: true, regions: [{ region: GUIGANG, count: 1 }] });

    // A refusal comes back with the platform's code.
    const again = await post<{ error: string }>(hospital.url, `/encounters/${mdtrtId}/fees`, { lines: [{ ...STAY[0], sn: 'L9' }] });
    expect(again.status).toBe(409);
    expect(again.json.error).toBe('INSURANCE_ENCOUNTER_STATE');

    const journal = readJournal(stateDir);
    const sent = journal.filter((r) => r.t === 'sent').map((r) => r.msgid);
    expect(sent.length).toBeGreaterThanOrEqual(5); // 2001 2301 2303 2304 3201 (1101 is not journaled)
    expect(new Set(journal.filter((r) => r.t === 'answered').map((r) => r.msgid))).toEqual(new Set(sent));
    // One hospital system per state folder.
    await expect(start()).rejects.toThrow(/HOSPITAL_STATE_LOCKED/);
    const text = hospital.output() + readFileSync(path.join(stateDir, 'journal.jsonl'), 'utf8');
    expect(text).not.toContain(residentId);
    // The ID number the settlement carries on the wire (跨省结算) is in the journal sealed, for a resend after a restart.
    const carrying = (journal as { t: string; infno?: string; cert?: string }[]).filter(
      (r) => r.t === 'sent' && ['2001', '2303', '2304'].includes(r.infno ?? ''),
    );
    expect(carrying.length).toBeGreaterThanOrEqual(3);
    expect(carrying.every((r) => typeof r.cert === 'string' && r.cert.length > 20)).toBe(true);
    expect(hospital.output()).toContain(maskResidentId(residentId));
  }, 120_000);

  it('killed (SIGKILL) right after sending 2304 and restarted: the settlement exists once and the journal shows it answered', async () => {
    const { hospital, start, proxy, stateDir, residentId } = await setup();
    const db = suite.ctx.database.db;

    // 1. Killed after the platform settled, before the answer reached the hospital.
    const first = await openStay(hospital.url, residentId);
    proxy.next2304(async (phase) => {
      if (phase === 'after') await hospital.kill();
      return phase === 'after' ? 'drop' : 'pass';
    });
    await post(hospital.url, `/encounters/${first}/settle`).catch(() => undefined);
    await until('the hospital to die', async () => hospital.process.signalCode === 'SIGKILL');
    const pending = readJournal(stateDir).at(-1)!;
    expect(pending).toMatchObject({ t: 'sent', infno: '2304' });
    expect(await settlementsOf(first)).toHaveLength(1);

    const second = await start();
    await until(
      'the resent 2304 answered',
      async () => (await get<{ state: string }>(second.url, `/transactions/${pending.msgid}`)).state === 'answered',
    );
    expect(await settlementsOf(first)).toHaveLength(1);
    const messages = await db.select().from(insuranceMessages).where(eq(insuranceMessages.msgid, pending.msgid));
    expect(messages).toHaveLength(1);
    const books = await get<{ mdtrtId: string; setlId: string; status: string }[]>(second.url, '/settlements');
    expect(books.filter((s) => s.mdtrtId === first)).toEqual([
      expect.objectContaining({ setlId: (await settlementsOf(first))[0]!.setlId, status: 'settled' }),
    ]);
    // Settling it again at the window is refused: it is settled.
    expect((await post<{ error: string }>(second.url, `/encounters/${first}/settle`)).json.error).toBe('INSURANCE_ENCOUNTER_STATE');

    // 2. Killed before the platform saw the 2304: absent until the restart sends it, then settled once.
    const other = await post<{ mdtrtId: string }>(second.url, '/encounters', { certNo: residentId, medType: '11', begin: '2026-08-20' });
    await post(second.url, `/encounters/${other.json.mdtrtId}/fees`, { lines: STAY.slice(0, 2) });
    proxy.next2304(async (phase) => {
      if (phase === 'before') await second.kill();
      return 'drop';
    });
    await post(second.url, `/encounters/${other.json.mdtrtId}/settle`).catch(() => undefined);
    await until('the hospital to die', async () => second.process.signalCode === 'SIGKILL');
    const unsent = readJournal(stateDir).at(-1)!;
    expect(unsent).toMatchObject({ t: 'sent', infno: '2304' });
    expect(await settlementsOf(other.json.mdtrtId)).toHaveLength(0);
    const third = await start();
    await until(
      'the resent 2304 answered',
      async () => (await get<{ state: string }>(third.url, `/transactions/${unsent.msgid}`)).state === 'answered',
    );
    expect(await settlementsOf(other.json.mdtrtId)).toHaveLength(1);
    expect(third.output()).toContain(`resending 2304 ${unsent.msgid}`);
    const journal = readJournal(stateDir);
    expect(journal.filter((r) => r.t === 'answered' && r.msgid === unsent.msgid)).toHaveLength(1);
    expect((await get<{ pending: number }>(third.url, '/health')).pending).toBe(0);
  }, 180_000);

  it('simulates a day at the window through the process (yiban hospital simulate): every encounter settled, cancelled or reversed, the books reconcile', async () => {
    const { hospital, stateDir, residentId } = await setup();
    const patients = [residentId];
    for (const name of ['韦阿公', '黄秀英', '陆建国']) {
      const id = freshResidentId();
      await suite.ctx.services.insuranceAdmin.enrol({ residentId: id, name, scheme: 'resident', region: GUIGANG, fromDate: '2020-01-01' });
      patients.push(id);
    }
    const file = path.join(stateDir, 'patients.txt');
    writeFileSync(file, `${patients.join('\n')}\n`);
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          path.join(ROOT, 'bin/yiban.js'),
          'hospital',
          'simulate',
          '--hospital',
          hospital.url,
          '--hospital-token-file',
          path.join(stateDir, 'api-token'),
          '--patients',
          file,
          '--encounters',
          '12',
          '--date',
          '2026-08-15',
          '--concurrency',
          '4',
        ],
        { cwd: ROOT },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const figures = JSON.parse(run.stdout) as {
      encounters: number;
      settled: number;
      cancelled: number;
      reversed: number;
      failed: number;
      reconciliation: { matched: boolean };
      transactions: Record<string, { count: number; p50: number; p99: number }>;
    };
    expect(figures).toMatchObject({ encounters: 12, failed: 0, reversed: 1, reconciliation: { matched: true } });
    expect(figures.transactions['2304']!.count).toBeGreaterThanOrEqual(12);
    const db = suite.ctx.database.db;
    const rows = await db
      .select({ status: insuranceSettlements.status, n: sql<number>`count(*)::int` })
      .from(insuranceSettlements)
      .where(eq(insuranceSettlements.institutionCode, (await get<{ code: string }>(hospital.url, '/health')).code))
      .groupBy(insuranceSettlements.status);
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    expect(by.settled ?? 0).toBe(figures.settled);
    expect(by.cancelled ?? 0).toBe(figures.cancelled + figures.reversed);
    expect(figures.settled + figures.reversed).toBeLessThanOrEqual(12);
    expect(readJournal(stateDir).filter((r) => r.t === 'sent').length).toBe(readJournal(stateDir).filter((r) => r.t === 'answered').length);
  }, 180_000);

  it('simulates a day with the hospital system in this process (no hospital process given)', async () => {
    // No hospital process here: the platform and a patient only.
    await listen();
    const { residentId } = await enrolPatient();
    const stateDir = mkdtempSync(path.join(tmpdir(), 'yiban-hospital-local-'));
    cleanup.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const system = await openHospitalSystem({ platformUrl, code: 'H45010300123', region: '450103', stateDir });
    cleanup.push(() => system.close());
    await suite.ctx.services.insuranceAdmin.registerInstitution(
      institutionInput({ code: 'H45010300123', name: '南宁市本地模拟医院', level: '2', region: '450103', publicKey: system.publicKeyPem }),
    );
    suite.ctx.services.insurance.reference.clear();
    const figures = await simulateDay(localWindow(system), { encounters: 6, date: '2026-08-16', patients: [residentId], seed: 5 });
    expect(figures).toMatchObject({ encounters: 6, failed: 0, reversed: 1, reconciliation: { matched: true } });
    const standing = await suite.ctx.database.db
      .select()
      .from(insuranceSettlements)
      .where(eq(insuranceSettlements.institutionCode, 'H45010300123'));
    expect(standing.filter((r) => r.status === 'settled')).toHaveLength(figures.settled);
  }, 120_000);
});

describe.skipIf(!process.env.DATABASE_URL)('the platform process restarted mid-way (PostgreSQL)', () => {
  const suite = appSuite('postgres');
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const c of children)
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await new Promise((r) => c.once('exit', r));
      }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the hospital sends the unanswered 2304 again until the restarted platform answers it, and it is settled once', async () => {
    const { ctx } = suite;
    const db = ctx.database.db;
    await seedInsurance(db, [{ region: GUIGANG, nameZh: '贵港市', officeOrgCode: ctx.departments.medical_security! }]);
    const { rows } = await db.execute<{ name: string }>(sql`select current_database() as name`);
    const url = databaseUrl(process.env.DATABASE_URL!, rows[0]!.name);
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-platform-'));
    dirs.push(dataDir);
    let platform: ChildProcess | null = null;
    const startPlatform = async () => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/yiban.js'), 'serve', '--no-seed', '--no-web', '--port', String(port)], {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: url,
          YIBAN_MASTER_KEY: ctx.masterKey.toString('base64'),
          YIBAN_DATA_DIR: dataDir,
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
        },
        stdio: 'ignore',
      });
      children.push(child);
      platform = child;
      await until('the platform to listen', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 180_000);
    };
    await startPlatform();
    const proxy = await startProxy(() => `http://127.0.0.1:${port}`);
    const stateDir = mkdtempSync(path.join(tmpdir(), 'yiban-hospital-'));
    dirs.push(stateDir);
    const hospital = await startHospital({ platformUrl: proxy.url, code: HOSPITAL, region: '450103', stateDir, answerTimeoutMs: 170_000 });
    tokens.set(hospital.url, hospital.token);
    try {
      await ctx.services.insuranceAdmin.registerInstitution(
        institutionInput({
          code: HOSPITAL,
          name: '南宁市第七人民医院',
          level: '3',
          region: '450103',
          publicKey: readFileSync(hospital.publicKeyFile, 'utf8'),
        }),
      );
      const residentId = freshResidentId();
      await ctx.services.insuranceAdmin.enrol({ residentId, name: '韦阿公', scheme: 'resident', region: GUIGANG, fromDate: '2020-01-01' });
      const opened = await post<{ mdtrtId: string }>(hospital.url, '/encounters', {
        certNo: residentId,
        medType: '21',
        begin: '2026-09-01',
      });
      expect(opened.status).toBe(200);
      const mdtrtId = opened.json.mdtrtId;
      await post(hospital.url, `/encounters/${mdtrtId}/fees`, { lines: STAY });
      // The platform settles, then dies (SIGKILL) before its answer is out; it is started again.
      proxy.next2304(async (phase) => {
        if (phase === 'after') {
          const dying = platform!;
          dying.kill('SIGKILL');
          await new Promise((r) => (dying.exitCode !== null || dying.signalCode !== null ? r(null) : dying.once('exit', r)));
          return 'drop';
        }
        return 'pass';
      });
      const settling = post<{ setl_id: string }>(hospital.url, `/encounters/${mdtrtId}/settle`);
      await until('the platform to die', async () => platform!.signalCode === 'SIGKILL');
      expect(hospital.process.exitCode).toBeNull();
      // Meanwhile a new patient at the window is told to try again (a read: nothing is journaled).
      const down = await post<{ error: string }>(hospital.url, '/encounters', { certNo: residentId, medType: '11', begin: '2026-09-01' });
      expect(down.status).toBe(503);
      expect(down.json.error).toBe('HOSPITAL_PLATFORM_UNREACHABLE');
      await startPlatform();
      const settled = await settling;
      expect(settled.status).toBe(200);
      const rowsNow = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.mdtrtId, mdtrtId));
      expect(rowsNow).toHaveLength(1);
      expect(rowsNow[0]!.setlId).toBe(settled.json.setl_id);
      expect(hospital.output()).toMatch(/2304 \S+: no answer/);
      expect((await get<{ pending: number }>(hospital.url, '/health')).pending).toBe(0);
    } finally {
      await hospital.stop();
      await proxy.close();
    }
  }, 400_000);
});
