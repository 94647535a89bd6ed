import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { buildServer, type App } from '../../http/server.ts';
import { openCheckpoint } from '../../verify/checkpoint.ts';
import { registerLedgerCommands } from './ledger.cli.ts';
import { createLedgerAdmin, createLedgerService, type LedgerService } from './ledger.service.ts';
import { ledgerTileRoutes } from './tiles.routes.ts';
import { registerWitnessCommands } from './witness.cli.ts';
import { createWitnessService, type WitnessService } from './witness-service.ts';
import { witnessApiRoutes, witnessRoutes } from './witness.routes.ts';

describe('yiban witness … and yiban ledger witness-push', () => {
  let database: Database;
  let ledger: LedgerService;
  let witness: WitnessService;
  let app: App;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    const masterKey = randomBytes(32);
    ledger = createLedgerService({ db: database.db, masterKey, origin: 'node.test/ledger' });
    // One node that witnesses its own log: enough to drive both sides through the commands.
    witness = createWitnessService({ db: database.db, masterKey, name: 'node.test/witness' });
    await ledger.appendMany(Array.from({ length: 12 }, (_, i) => ({ kind: 'test', data: new TextEncoder().encode(`e${i}`) })));
    app = await buildServer({
      database,
      auth: { authenticate: () => Promise.resolve(null) },
      apiRoutes: [witnessApiRoutes({ witness })],
      rootRoutes: [ledgerTileRoutes({ ledger }), witnessRoutes({ witness })],
      logLevel: 'silent',
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    process.exitCode = 0;
  });

  async function run(...args: string[]): Promise<{ out: string; code: number }> {
    const program = new Command('yiban').exitOverride();
    const open = () =>
      Promise.resolve({ services: { ledger, ledgerAdmin: createLedgerAdmin({ db: database.db }), witness }, close: async () => undefined });
    registerLedgerCommands(program, open);
    registerWitnessCommands(program, open);
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    process.exitCode = 0;
    try {
      await program.parseAsync(['node', 'yiban', ...args]);
    } finally {
      log.mockRestore();
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return { out: out.join('\n'), code };
  }

  it('configures both sides, pushes a checkpoint to be cosigned, compares with a peer and lists findings', async () => {
    const logVkey = await ledger.vkey();
    const witnessVkey = (await run('witness', 'vkey')).out.trim();
    expect(witnessVkey).toMatch(/^node\.test\/witness\+[0-9a-f]{8}\+/);
    expect((await run('witness', 'log', 'add', logVkey, '--url', url)).out).toBe('added: node.test/ledger');
    expect((await run('witness', 'log', 'add', logVkey)).out).toBe('already witnessed: node.test/ledger');
    expect((await run('ledger', 'witness-add', witnessVkey, '--url', `${url}/witness`)).out).toBe(
      `registered: node.test/witness (push to ${url}/witness)`,
    );
    await ledger.integrate();
    expect(await run('ledger', 'witness-push')).toEqual({ code: 0, out: 'COSIGNED   node.test/witness size 12' });
    expect((await run('witness', 'log', 'list')).out).toBe(`${logVkey}  size 12  ${url}`);
    const note = (await ledger.latestCheckpoint()).note;
    expect(openCheckpoint(note, logVkey, { vkeys: [witnessVkey], threshold: 1 }).ok).toBe(true);

    const gossip = await run('witness', 'gossip', `${url}/witness`, '--json');
    expect(gossip.code).toBe(0);
    expect(JSON.parse(gossip.out)).toEqual([expect.objectContaining({ origin: 'node.test/ledger', status: 'CONSISTENT' })]);
    expect((await run('witness', 'findings')).out).toBe('没有发现 no findings');
    expect(JSON.parse((await run('witness', 'findings', '--json')).out)).toEqual([]);
  });
});
