import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleContext, motherIn } from './bundle-fixtures.ts';
import { databaseUrl } from './db-template.ts';
import { PASSWORD, VILLAGE, type TestContext } from './factories.ts';

/**
 * Issue 13: two real server processes (`yiban serve`) on one fresh PostgreSQL database, under
 * concurrent load that produces events: approvals over HTTP to both (each issues a certificate,
 * a ledger leaf and a case.decided event; some cases are approved on both at once) while birth
 * bundles start beside them (their rule decisions write case.decided, and their completion is
 * written once by whichever process's worker handles the last one). Afterwards: every event
 * handled, none dead, every bundle completed with exactly one bundle.completed, one certificate
 * per approved case, and the ledger audit passes.
 *
 * PostgreSQL only: PGlite is one process's embedded database, so two servers cannot share it.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CASES = 24;
const BUNDLES = 4;

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('yiban serve --workers', () => {
  it('refuses several processes on the embedded database, in both languages', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-workers-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, YIBAN_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
      delete env.DATABASE_URL;
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/yiban.js'), 'serve', '--workers', '2', '--no-web', '--no-seed'], {
        cwd: ROOT,
        env,
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(2);
      expect(stderr).toContain('需要 PostgreSQL');
      expect(stderr).toContain('--workers needs PostgreSQL');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe.skipIf(!process.env.DATABASE_URL)('two server processes on one PostgreSQL database', () => {
  let ctx: TestContext;
  const servers: { child: ChildProcess; base: string; output: () => string }[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-two-'));

  beforeAll(async () => {
    ctx = await bundleContext('postgres');
    const { rows } = await ctx.database.db.execute<{ name: string }>(sql`select current_database() as name`);
    const url = databaseUrl(process.env.DATABASE_URL!, rows[0]!.name);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/yiban.js'), 'serve', '--no-seed', '--no-web', '--port', String(port)], {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: url,
          YIBAN_MASTER_KEY: ctx.masterKey.toString('base64'),
          YIBAN_DATA_DIR: path.join(dataDir, String(i)),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
        },
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      servers.push({ child, base: `http://127.0.0.1:${port}`, output: () => output });
    }
    for (const s of servers) {
      await until(`server ${s.base} (${s.output()})`, async () => (await fetch(`${s.base}/healthz`)).ok || undefined, 180_000);
    }
  }, 400_000);

  afterAll(async () => {
    for (const s of servers) {
      s.child.kill('SIGTERM');
      await new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once('exit', r)));
    }
    await ctx?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('handles every event once in effect under concurrent load, and the ledger audit passes', async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const tokens = await Promise.all(
      servers.map(async (s) => {
        const res = await fetch(`${s.base}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-auth-mode': 'bearer' },
          body: JSON.stringify({ kind: 'staff', username: reviewer.username, password: PASSWORD, channel: 'web' }),
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { token: string }).token;
      }),
    );
    const caseIds: string[] = [];
    for (let i = 0; i < CASES; i++) caseIds.push((await ctx.services.applications.submit(await ctx.newResident(), residence)).case.id);
    const mothers = await Promise.all(Array.from({ length: BUNDLES }, (_, i) => motherIn(ctx, `母亲${'甲乙丙丁戊己庚辛'[i]}`)));

    const approve = (server: number, caseId: string) =>
      fetch(`${servers[server]!.base}/api/cases/${caseId}/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[server]}` },
        body: JSON.stringify({ action: 'approve' }),
      }).then((r) => r.status);
    // Every case to one server, every third to both at once: one approval wins, the other is refused.
    const approvals = caseIds.flatMap((id, i) => (i % 3 === 0 ? [approve(0, id), approve(1, id)] : [approve(i % 2, id)]));
    const starts = mothers.map((m, i) => ctx.services.bundles.start(m, { bundle: 'birth', form: {}, consent: true }, `two-proc-${i}`));
    const [statuses, bundles] = await Promise.all([Promise.all(approvals), Promise.all(starts)]);
    expect(statuses.filter((s) => s === 200).length).toBe(CASES);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 409)).toBe(true);

    const db = ctx.database.db;
    const count = async (query: ReturnType<typeof sql>) => (await db.execute<{ n: number }>(query)).rows[0]!.n;
    // The servers' workers drain the outbox, the events their handlers write included.
    await until(
      'the outbox to drain',
      async () => (await count(sql`select count(*)::int as n from outbox where processed_at is null`)) === 0,
    );
    expect(await count(sql`select count(*)::int as n from outbox where dead_at is not null`)).toBe(0);

    const ids = bundles.map((b) => b.bundle.id);
    const completed = await db.execute<{ bundle_id: string; n: number }>(
      sql`select payload->>'bundleId' as bundle_id, count(*)::int as n from outbox where topic = 'bundle.completed' group by 1`,
    );
    expect(completed.rows.filter((r) => ids.includes(r.bundle_id)).map((r) => r.n)).toEqual(ids.map(() => 1));
    expect(await count(sql`select count(*)::int as n from bundles where completed_at is null`)).toBe(0);
    // Every case.decided event (the approvals' and the bundles' rule decisions) was handled by all its handlers, the bundles' among them.
    const decided = CASES + BUNDLES * 5;
    expect(await count(sql`select count(*)::int as n from outbox where topic = 'case.decided'`)).toBe(decided);
    expect(await count(sql`select count(*)::int as n from outbox where topic = 'case.decided' and processed_at is not null`)).toBe(decided);
    // One certificate per decided case, and the ledger agrees.
    expect(await count(sql`select count(*)::int as n from certificates`)).toBe(decided);
    expect(await count(sql`select count(distinct case_id)::int as n from certificates`)).toBe(decided);
    await ctx.services.ledger.sequenceNow();
    const audit = await ctx.services.ledger.audit();
    expect(audit.problems).toEqual([]);
    expect(audit.ok).toBe(true);
  }, 300_000);
});
