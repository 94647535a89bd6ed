/**
 * Yiban as a log pushing its checkpoints to a Yiban witness over real HTTP: cosignatures merged
 * onto the served checkpoint, the 409 flow (retry from the witness's size), a witness that is
 * absent (backs off) or hangs (times out) while appends go on.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { buildServer, type App } from '../../http/server.ts';
import { openCheckpoint } from '../../verify/checkpoint.ts';
import { createLedgerAdmin, createLedgerService, type LedgerAdmin, type LedgerService } from './ledger.service.ts';
import { ledgerTileRoutes } from './tiles.routes.ts';
import { generateWitnessKey } from './witness.ts';
import { formatAddCheckpointBody } from './witness-protocol.ts';
import { createWitnessService, type WitnessService } from './witness-service.ts';
import { witnessRoutes } from './witness.routes.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe.each(testEngines())('pushing checkpoints to witnesses (C2SP tlog-witness) on %s', (engine) => {
  let logDb: Database;
  let witnessDb: Database;
  let ledger: LedgerService;
  let admin: LedgerAdmin;
  let witness: WitnessService;
  let app: App;
  let url: string;
  let witnessVkey: string;
  const calls: { url: string; status: number }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    calls.push({ url: input instanceof Request ? input.url : input.toString(), status: res.status });
    return res;
  };
  const append = async (n: number) => {
    await ledger.appendMany(
      Array.from({ length: n }, (_, i) => ({ kind: 'certificate.issued', data: utf8(`entry ${Math.random()} ${i}`) })),
    );
    await ledger.integrate();
  };

  beforeAll(async () => {
    [logDb, witnessDb] = await Promise.all([createTestDatabase(engine), createTestDatabase(engine)]);
    ledger = createLedgerService({ db: logDb.db, masterKey: randomBytes(32), origin: 'province.test/ledger' });
    admin = createLedgerAdmin({ db: logDb.db });
    witness = createWitnessService({ db: witnessDb.db, masterKey: randomBytes(32), name: 'hub.test/witness' });
    app = await buildServer({
      database: witnessDb,
      auth: { authenticate: () => Promise.resolve(null) },
      apiRoutes: [],
      rootRoutes: [witnessRoutes({ witness })],
      logLevel: 'silent',
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    witnessVkey = await witness.vkey();
    await witness.addLog(await ledger.vkey());
    await admin.registerWitness(witnessVkey);
    await admin.setWitnessUrl('hub.test/witness', `${url}/witness`);
  });

  afterAll(async () => {
    await app?.close();
    await logDb?.close();
    await witnessDb?.close();
  });

  it('gets the cosignature and serves it on the checkpoint; nothing to send while it is current', async () => {
    await append(3);
    expect(await ledger.pushToWitnesses({ fetch: recording })).toEqual([{ witness: 'hub.test/witness', status: 'COSIGNED', size: 3 }]);
    const latest = await ledger.latestCheckpoint();
    expect(latest.witnesses).toEqual(['hub.test/witness']);
    const opened = openCheckpoint(latest.note, await ledger.vkey(), { vkeys: [witnessVkey], threshold: 1 });
    expect(opened.ok).toBe(true);
    calls.length = 0;
    expect(await ledger.pushToWitnesses({ fetch: recording })).toEqual([{ witness: 'hub.test/witness', status: 'UP_TO_DATE', size: 3 }]);
    expect(calls).toEqual([]);
    await append(4);
    expect(await ledger.pushToWitnesses({ fetch: recording })).toEqual([{ witness: 'hub.test/witness', status: 'COSIGNED', size: 7 }]);
    expect(calls.map((c) => c.status)).toEqual([200]);
    expect((await witness.listLogs())[0]!.size).toBe(7);
  });

  it('retries from the size a 409 names', async () => {
    await append(5);
    // The log forgot what the witness saw (a restored backup, a new push row): it learns from the 409.
    await logDb.db.execute(sql`update ledger_witness_pushes set known_size = 0`);
    calls.length = 0;
    expect(await ledger.pushToWitnesses({ fetch: recording })).toEqual([{ witness: 'hub.test/witness', status: 'COSIGNED', size: 12 }]);
    expect(calls.map((c) => c.status)).toEqual([409, 200]);
    expect((await ledger.checkpointAt(12)).witnesses).toEqual(['hub.test/witness']);
  });

  it('backs off from an absent witness and never holds up appends for a hanging one', async () => {
    const absent = generateWitnessKey('absent.test/witness');
    await admin.registerWitness(absent.vkey);
    await admin.setWitnessUrl('absent.test/witness', 'http://127.0.0.1:1/witness');
    await append(1);
    const results = await ledger.pushToWitnesses({ fetch: recording });
    expect(results.find((r) => r.witness === 'absent.test/witness')).toMatchObject({ status: 'FAILED', size: 13 });
    expect(results.find((r) => r.witness === 'hub.test/witness')).toMatchObject({ status: 'COSIGNED', size: 13 });
    const target = (await admin.listPushTargets()).find((t) => t.witness === 'absent.test/witness')!;
    expect(target.failures).toBe(1);
    expect(target.lastError).toMatch(/add-checkpoint/);
    expect(target.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    // Not due: the next round leaves it alone.
    expect((await ledger.pushToWitnesses()).map((r) => r.witness)).toEqual(['hub.test/witness']);
    await admin.removeWitness('absent.test/witness');

    // A witness that never answers: the background pusher waits for it alone.
    let inFlight = false;
    let released = false;
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        inFlight = true;
        init?.signal?.addEventListener('abort', () => {
          released = true;
          reject(new Error('timed out'));
        });
      });
    const pusher = ledger.startWitnessPush({ fetch: hanging, intervalMs: 20, timeoutMs: 3000 });
    await append(2);
    await expect.poll(() => inFlight, { timeout: 2500, interval: 10 }).toBe(true);
    const started = Date.now();
    const receipt = await ledger.append({ kind: 'certificate.issued', data: utf8('while the witness hangs') });
    await ledger.integrate();
    expect(await ledger.waitForIndex(receipt.id, { timeoutMs: 2000 })).toBe(15);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(released).toBe(false);
    await pusher.stop();
    expect(released).toBe(true);
    const hub = (await admin.listPushTargets()).find((t) => t.witness === 'hub.test/witness')!;
    expect(hub.lastError).toMatch(/timed out/);
  });

  it("checks a peer witness's checkpoint of another size against the log's own tiles", async () => {
    const peerDb = await createTestDatabase(engine);
    const logApp = await buildServer({
      database: logDb,
      auth: { authenticate: () => Promise.resolve(null) },
      apiRoutes: [],
      rootRoutes: [ledgerTileRoutes({ ledger })],
      logLevel: 'silent',
    });
    try {
      const logUrl = await logApp.listen({ host: '127.0.0.1', port: 0 });
      const other = createWitnessService({ db: peerDb.db, masterKey: randomBytes(32), name: 'other.test/witness' });
      await other.addLog(await ledger.vkey(), { url: logUrl });
      const early = await other.addCheckpoint(
        formatAddCheckpointBody({ oldSize: 0, proof: [], note: (await ledger.checkpointAt(3)).note }),
      );
      expect(early.status).toBe('COSIGNED');
      const results = await other.gossip(`${url}/witness`);
      expect(results).toEqual([expect.objectContaining({ origin: 'province.test/ledger', status: 'CONSISTENT' })]);
      expect(await other.findings()).toEqual([]);
    } finally {
      await logApp.close();
      await peerDb.close();
    }
  });
});
