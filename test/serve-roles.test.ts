import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKGROUND_NICE } from '../src/cli/serve.ts';
import { freePort, until as untilWithin } from '../src/demo/node-processes.ts';
import { databaseUrl } from './db-template.ts';
import { approvedCertificateEntry, createTestContext, type TestContext } from './factories.ts';

/**
 * `yiban serve --role api|background`: the HTTP processes leave the background work (the ledger's
 * sequencer, the outbox's events, the prunes) to a process of its own, which serves no HTTP and
 * runs at a lower CPU priority, so that a request never waits behind a batch of it.
 * PostgreSQL only: PGlite is one process's embedded database.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const YIBAN = path.join(ROOT, 'bin/yiban.js');

/** Every wait in this file: process starts and the background's work, on a loaded CI machine. */
const WAIT_MS = 180_000;
const until = <T>(what: string, probe: () => Promise<T | undefined | false>) => untilWithin(what, probe, WAIT_MS);

describe('yiban serve --role', () => {
  it('refuses a split of the roles on the embedded database, in both languages', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-roles-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, YIBAN_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
      delete env.DATABASE_URL;
      const child = spawn(process.execPath, [YIBAN, 'serve', '--role', 'background', '--no-web', '--no-seed'], { cwd: ROOT, env });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(2);
      expect(stderr).toContain('需要 PostgreSQL');
      expect(stderr).toContain('--role api and --role background need PostgreSQL');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe.skipIf(!process.env.DATABASE_URL)('an API process and a background process on one PostgreSQL database', () => {
  let ctx: TestContext;
  let url: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-roles-'));
  const children: ChildProcess[] = [];

  function start(role: 'api' | 'background', port: number) {
    const child = spawn(process.execPath, [YIBAN, 'serve', '--no-seed', '--no-web', '--port', String(port), '--role', role], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: url,
        YIBAN_MASTER_KEY: ctx.masterKey.toString('base64'),
        YIBAN_DATA_DIR: path.join(dataDir, role),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    children.push(child);
    return { child, output: () => output };
  }

  beforeAll(async () => {
    ctx = await createTestContext('postgres');
    const { rows } = await ctx.database.db.execute<{ name: string }>(sql`select current_database() as name`);
    url = databaseUrl(process.env.DATABASE_URL!, rows[0]!.name);
  }, 300_000);

  afterAll(async () => {
    for (const child of children) {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    }
    await ctx?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('serves from the API process, and sequences and handles events only in the background process, at a lower priority', async () => {
    const db = ctx.database.db;
    const count = async (query: ReturnType<typeof sql>) => (await db.execute<{ n: number }>(query)).rows[0]!.n;
    // An approval: a certificate with its ledger entry queued and its events in the outbox.
    const entry = await approvedCertificateEntry(ctx);
    const pending = sql`select count(*)::int as n from outbox where processed_at is null`;
    expect(await count(pending)).toBeGreaterThan(0);
    expect((await ctx.services.ledger.lookup(entry))?.integrated).toBe(false);

    const apiPort = await freePort();
    const api = start('api', apiPort);
    await until(`the API process (${api.output()})`, async () => (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).ok);
    // It answers requests while the work stays queued: its sequencer (every 200 ms) and event loops
    // (every 100 ms) would have run many times in the requests below.
    for (let i = 0; i < 20; i++) {
      expect((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).ok).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await ctx.services.ledger.lookup(entry))?.integrated).toBe(false);
    expect(await count(pending)).toBeGreaterThan(0);

    const backgroundPort = await freePort();
    const background = start('background', backgroundPort);
    await until(`the background process (${background.output()})`, async () => background.output().includes('background process'));
    // Lower than the API process's priority (nice 10, or this process's when that is lower still), and no HTTP.
    expect(getPriority(api.child.pid)).toBe(getPriority());
    expect(getPriority(background.child.pid)).toBe(Math.max(getPriority(), BACKGROUND_NICE));
    if (getPriority() < BACKGROUND_NICE) expect(getPriority(background.child.pid)).toBeGreaterThan(getPriority(api.child.pid));
    await expect(fetch(`http://127.0.0.1:${backgroundPort}/healthz`)).rejects.toThrow();
    // It does the work.
    await until('the entry to be sequenced', async () => (await ctx.services.ledger.lookup(entry))?.integrated === true);
    await until('the outbox to drain', async () => (await count(pending)) === 0);
    expect(await count(sql`select count(*)::int as n from outbox where dead_at is not null`)).toBe(0);
    // SIGTERM stops it cleanly: its loops stopped and its database closed, exit code 0.
    const exited = new Promise<number | null>((resolve) => background.child.once('exit', (code) => resolve(code)));
    background.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 300_000);
});
