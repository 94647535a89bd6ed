import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { buildServer, type App } from '../../http/server.ts';
import { openCheckpoint } from '../../verify/checkpoint.ts';
import { registerLedgerCommands } from './ledger.cli.ts';
import { ledgerApiRoutes } from './ledger.routes.ts';
import { ledgerTileRoutes } from './tiles.routes.ts';
import { createLedgerAdmin, createLedgerService, type LedgerService } from './ledger.service.ts';

describe('yiban ledger …', () => {
  let database: Database;
  let ledger: LedgerService;
  let app: App;
  let url: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'yiban-ledger-cli-'));

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    ledger = createLedgerService({ db: database.db, masterKey: randomBytes(32), origin: 'yiban.test/ledger' });
    await ledger.appendMany(Array.from({ length: 40 }, (_, i) => ({ kind: 'test', data: new TextEncoder().encode(`e${i}`) })));
    app = await buildServer({
      database,
      auth: { authenticate: () => Promise.resolve(null) },
      apiRoutes: [ledgerApiRoutes({ ledger })],
      rootRoutes: [ledgerTileRoutes({ ledger })],
      logLevel: 'silent',
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
    process.exitCode = 0;
  });

  async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
    const program = new Command('yiban').exitOverride();
    registerLedgerCommands(program, async () => ({
      services: { ledger, ledgerAdmin: createLedgerAdmin({ db: database.db }) },
      close: async () => undefined,
    }));
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    process.exitCode = 0;
    try {
      await program.parseAsync(['node', 'yiban', 'ledger', ...args]);
    } finally {
      log.mockRestore();
      error.mockRestore();
      write.mockRestore();
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return { out: out.join('\n'), err: err.join('\n'), code };
  }

  it('integrates, prints the key, registers a witness that then cosigns over HTTP, and audits', async () => {
    expect((await run('integrate')).out).toMatch(/^integrated: size 40/);
    const vkey = (await run('vkey')).out.trim();
    const key = path.join(dir, 'witness.key');
    const state = path.join(dir, 'witness.json');
    const witnessVkey = (await run('witness-keygen', '--name', 'dept.example/witness', '--key', key)).out.trim();
    expect((await run('witness-add', witnessVkey)).out).toBe('registered: dept.example/witness');
    expect((await run('witness-list')).out).toBe(witnessVkey);

    const first = await run('witness', '--log', url, '--name', 'dept.example/witness', '--key', key, '--state', state, '--log-vkey', vkey);
    expect(first).toMatchObject({ code: 0, out: expect.stringMatching(/cosigned size 40 \(first checkpoint\)/) as unknown });
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ logVkey: vkey, size: 40 });
    await ledger.append({ kind: 'test', data: new Uint8Array([1]) });
    await run('integrate');
    expect((await run('witness', '--log', url, '--name', 'dept.example/witness', '--key', key, '--state', state)).out).toMatch(
      /cosigned size 41 \(consistent with size 40\)/,
    );
    const note = (await run('checkpoint')).out;
    expect(openCheckpoint(note, vkey, { vkeys: [witnessVkey], threshold: 1 })).toMatchObject({ ok: true });

    expect(await run('audit', '--json')).toMatchObject({ code: 0 });
    await database.db.execute(sql`update ledger_entries set data = '\\x01'::bytea where idx = 2`);
    const failed = await run('audit');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/entry-mismatch: entry 2 /);
  });
});
