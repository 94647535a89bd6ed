import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { assert, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { buildServer, type App } from '../../http/server.ts';
import { openCheckpoint } from '../../verify/checkpoint.ts';
import { openNote, parseVerifierKey } from '../../verify/signed-note.ts';
import { parseReceipt } from './receipt.ts';
import { hashLeaf, merkleRoot, verifyInclusion } from '../../verify/merkle.ts';
import { decodeBase64 } from '../../verify/tlog-bytes.ts';
import { parseEntryBundle } from '../../verify/tlog-tiles.ts';
import { ledgerApiRoutes } from './ledger.routes.ts';
import { ledgerTileRoutes } from './tiles.routes.ts';
import { decryptSeed, encryptSeed } from './log-key.ts';
import { createLedgerAdmin, createLedgerService, type LedgerService } from './ledger.service.ts';
import { generateWitnessKey, parseWitnessKey, witnessCosigner, witnessOnce, type WitnessState } from './witness.ts';
import { rejection } from '../../../test/errors.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const ORIGIN = 'yiban.test/ledger';

async function serve(database: Database, ledger: LedgerService): Promise<App> {
  return buildServer({
    database,
    auth: { authenticate: () => Promise.resolve(null) },
    apiRoutes: [ledgerApiRoutes({ ledger })],
    rootRoutes: [ledgerTileRoutes({ ledger })],
    logLevel: 'silent',
  });
}

/** fetch() answered by the app in process, for the witness. */
function fetchFrom(app: App): typeof fetch {
  return (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'GET' | 'POST',
      url: url.pathname + url.search,
      headers: init?.headers as Record<string, string> | undefined,
      payload: init?.body as string | undefined,
    });
    return new Response(res.statusCode === 204 ? null : res.rawPayload, { status: res.statusCode });
  }) as typeof fetch;
}

describe.each(testEngines())('ledger HTTP and witnesses on %s', (engine) => {
  let database: Database;
  let ledger: LedgerService;
  let app: App;
  const masterKey = randomBytes(32);
  const data = Array.from({ length: 300 }, (_, i) => utf8(`certificate.issued ${i}`));

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ledger = createLedgerService({ db: database.db, masterKey, origin: ORIGIN });
    await ledger.appendMany(data.map((d) => ({ kind: 'certificate.issued', data: d })));
    await ledger.integrate();
    app = await serve(database, ledger);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('serves the C2SP tlog-tiles API with its caching', async () => {
    const vkey = (await app.inject('/ledger/vkey')).body.trim();
    const checkpoint = await app.inject('/ledger/checkpoint');
    expect(checkpoint.headers['content-type']).toMatch(/^text\/plain/);
    expect(checkpoint.headers['cache-control']).toBe('public, max-age=5');
    const opened = openCheckpoint(checkpoint.body, vkey);
    expect(opened.ok && opened.checkpoint.size).toBe(300);

    const full = await app.inject('/ledger/tile/0/000');
    expect(full.statusCode).toBe(200);
    expect(full.headers['content-type']).toBe('application/octet-stream');
    expect(full.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(full.rawPayload.subarray(0, 32).equals(hashLeaf(data[0]!))).toBe(true);
    expect(full.rawPayload).toHaveLength(256 * 32);
    const partial = await app.inject('/ledger/tile/0/001.p/44');
    expect(partial.rawPayload).toHaveLength(44 * 32);
    expect(partial.headers['cache-control']).toBe('public, max-age=5');
    expect((await app.inject('/ledger/tile/0/001.p/10')).rawPayload).toEqual(partial.rawPayload.subarray(0, 320));
    expect((await app.inject('/ledger/tile/1/000.p/1')).rawPayload.equals(Buffer.from(merkleRoot(data.slice(0, 256).map(hashLeaf))))).toBe(
      true,
    );
    const bundle = parseEntryBundle(new Uint8Array((await app.inject('/ledger/tile/entries/001.p/44')).rawPayload));
    expect(bundle?.map((e) => Buffer.from(e).toString())).toEqual(data.slice(256).map((d) => Buffer.from(d).toString()));
    expect((await app.inject('/ledger/tile/entries/000')).headers['cache-control']).toContain('immutable');
    for (const missing of [
      '/ledger/tile/0/001',
      '/ledger/tile/0/001.p/45',
      '/ledger/tile/0/002.p/1',
      '/ledger/tile/2/000.p/1',
      '/ledger/tile/0/1',
      '/ledger/tile/entries/001',
    ]) {
      const res = await app.inject(missing);
      expect(res.statusCode, missing).toBe(404);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
    }
  });

  it('answers the JSON API: proofs with their checkpoint, entries, clear errors', async () => {
    const vkey = await ledger.vkey();
    const proof = (await app.inject('/api/ledger/proof/inclusion?index=257')).json<{
      size: number;
      leafHash: string;
      hashes: string[];
      checkpoint: string;
    }>();
    const opened = openCheckpoint(proof.checkpoint, vkey);
    expect(opened.ok).toBe(true);
    assert(opened.ok);
    expect(
      verifyInclusion({
        index: 257,
        size: proof.size,
        leafHash: hashLeaf(data[257]!),
        proof: proof.hashes.map((h) => decodeBase64(h)!),
        root: opened.checkpoint.rootHash,
      }),
    ).toBe(true);
    const consistency = await app.inject('/api/ledger/proof/consistency?from=10');
    expect(consistency.json<{ to: number; hashes: string[] }>()).toMatchObject({ to: 300 });
    const entry = (await app.inject('/api/ledger/entries/3')).json<{ data: string; integrated: boolean }>();
    expect(Buffer.from(entry.data, 'base64').toString()).toBe('certificate.issued 3');
    expect(entry.integrated).toBe(true);
    expect((await app.inject('/api/ledger/entries/300')).statusCode).toBe(404);
    expect((await app.inject('/api/ledger/proof/inclusion?index=1&size=301')).json<{ error: { code: string } }>().error.code).toBe(
      'LEDGER_SIZE_UNAVAILABLE',
    );
    expect((await app.inject('/api/ledger/proof/inclusion?index=-1')).statusCode).toBe(400);
    const byEnglish = await app.inject({ url: '/api/ledger/checkpoints/7', headers: { 'accept-language': 'en' } });
    expect(byEnglish.json<{ error: { message: string } }>().error.message).toBe('Ledger checkpoint not found');
    expect((await app.inject('/api/ledger/checkpoints/300')).body).toBe((await app.inject('/ledger/checkpoint')).body);
  });

  it('takes cosignatures from registered witnesses only, and serves them with the checkpoint', async () => {
    const logVkey = await ledger.vkey();
    const { keyFile, vkey: witnessVkey } = generateWitnessKey('weijian.example/witness');
    const key = parseWitnessKey(keyFile);
    const cosigner = witnessCosigner(key.name, key.seed);
    const fetcher = fetchFrom(app);

    const unregistered = await witnessOnce({ logUrl: 'http://log.test', logVkey, cosigner, state: null, fetch: fetcher });
    expect(unregistered).toMatchObject({ status: 'COSIGNED', size: 300 });
    expect(unregistered.status === 'COSIGNED' && unregistered.submitError).toMatch(/^HTTP 403/);

    await createLedgerAdmin({ db: database.db }).registerWitness(witnessVkey);
    const first = await witnessOnce({ logUrl: 'http://log.test/', logVkey, cosigner, state: null, fetch: fetcher });
    expect(first).toMatchObject({ status: 'COSIGNED', size: 300, previousSize: null });
    expect(first.status === 'COSIGNED' && first.submitError).toBeFalsy();
    const served = (await app.inject('/ledger/checkpoint')).body;
    expect(openCheckpoint(served, logVkey, { vkeys: [witnessVkey], threshold: 1 })).toMatchObject({
      ok: true,
      witnesses: ['weijian.example/witness'],
    });

    await ledger.appendMany(data.slice(0, 20).map((d) => ({ kind: 'certificate.revoked', data: d })));
    await ledger.integrate();
    const state = first.status === 'COSIGNED' ? first.state : null;
    const second = await witnessOnce({ logUrl: 'http://log.test', logVkey, cosigner, state, fetch: fetcher });
    expect(second).toMatchObject({ status: 'COSIGNED', size: 320, previousSize: 300 });

    const forged = first.status === 'COSIGNED' ? first.signature.replace(/.{6}=\n$/, 'AAAAAA=\n') : '';
    const bad = await app.inject({ method: 'POST', url: '/api/ledger/cosignatures', payload: { size: 300, signature: forged } });
    expect(bad.json<{ error: { code: string } }>().error.code).toBe('COSIGNATURE_INVALID');
    const wrongSize = await app.inject({
      method: 'POST',
      url: '/api/ledger/cosignatures',
      payload: { size: 320, signature: first.status === 'COSIGNED' ? first.signature : '' },
    });
    expect(wrongSize.json<{ error: { code: string } }>().error.code).toBe('COSIGNATURE_INVALID');
    const garbage = await app.inject({ method: 'POST', url: '/api/ledger/cosignatures', payload: { size: 300, signature: 'hello' } });
    expect(garbage.statusCode).toBe(400);
    expect(await rejection(createLedgerAdmin({ db: database.db }).registerWitness(logVkey))).toBe('VALIDATION_FAILED');
  });

  it("answers an entry id with its status and the log's signed receipt, pending and then sequenced", async () => {
    const vkey = (await app.inject('/ledger/vkey')).body.trim();
    const leaf = utf8('exchange.completed receipt-route');
    const { id } = await ledger.append({ kind: 'exchange.completed', data: leaf });

    const pending = await app.inject(`/api/ledger/receipts/${id}`);
    expect(pending.statusCode).toBe(200);
    expect(pending.headers['cache-control']).toBe('no-store');
    const body = pending.json<{
      id: number;
      status: string;
      index: number | null;
      leafHash: string;
      receipt: string;
      promisedBy: string;
      queuedAt: string;
    }>();
    expect(body).toMatchObject({ id, kind: 'exchange.completed', status: 'pending', index: null, integrated: false });
    expect(decodeBase64(body.leafHash)).toEqual(hashLeaf(leaf));
    expect(Date.parse(body.promisedBy)).toBeGreaterThan(Date.parse(body.queuedAt));
    // The receipt is signed by the log key and names this entry, its kind and its leaf.
    const opened = openNote(body.receipt, [parseVerifierKey(vkey)!]);
    expect(opened.ok).toBe(true);
    const stated = parseReceipt(opened.ok ? opened.text : '');
    expect(stated).toMatchObject({ origin: ORIGIN, id, kind: 'exchange.completed' });
    expect(stated!.leafHash).toEqual(hashLeaf(leaf));
    // A receipt edited by anyone but the log no longer opens.
    expect(openNote(body.receipt.replace(`receipt ${id}`, `receipt ${id + 1}`), [parseVerifierKey(vkey)!]).ok).toBe(false);

    await ledger.integrate();
    const sequenced = (await app.inject(`/api/ledger/receipts/${id}`)).json<{ status: string; index: number; integrated: boolean }>();
    expect(sequenced).toMatchObject({ status: 'sequenced', integrated: true });
    const proof = (await app.inject(`/api/ledger/proof/inclusion?index=${sequenced.index}`)).json<{ leafHash: string }>();
    expect(proof.leafHash).toBe(body.leafHash);

    expect((await app.inject(`/api/ledger/receipts/${id + 1000}`)).json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await app.inject('/api/ledger/receipts/0')).statusCode).toBe(400);
    expect((await app.inject('/api/ledger/receipts/abc')).statusCode).toBe(400);
  });

  it('witness refuses a log that forked: same key, another history', async () => {
    const logVkey = await ledger.vkey();
    const key = parseWitnessKey(generateWitnessKey('renshe.example/witness').keyFile);
    const cosigner = witnessCosigner(key.name, key.seed);
    const honest = await witnessOnce({ logUrl: 'http://log.test', logVkey, cosigner, state: null, fetch: fetchFrom(app) });
    if (honest.status !== 'COSIGNED') throw new Error('the honest log was refused');
    const seen: WitnessState = honest.state;

    // The fork: the same log key over a second database whose history differs at entry 5.
    const forkDb = await createTestDatabase(engine);
    try {
      const forkKey = randomBytes(32);
      await copyLogKey({ from: database, fromKey: masterKey, to: forkDb, toKey: forkKey });
      const fork = createLedgerService({ db: forkDb.db, masterKey: forkKey, origin: ORIGIN });
      const history = await database.db.execute<{ data: Uint8Array }>(sql`select data from ledger_entries order by idx`);
      await fork.appendMany(
        history.rows.map((r, i) => ({ kind: 'certificate.issued', data: i === 5 ? utf8('forged') : new Uint8Array(r.data) })),
      );
      await fork.append({ kind: 'certificate.issued', data: utf8('one more') });
      await fork.integrate();
      expect(await fork.vkey()).toBe(logVkey);
      const forkApp = await serve(forkDb, fork);
      try {
        const refused = await witnessOnce({ logUrl: 'http://fork.test', logVkey, cosigner, state: seen, fetch: fetchFrom(forkApp) });
        expect(refused).toMatchObject({ status: 'REFUSED', reason: 'INCONSISTENT' });
        expect(refused.status === 'REFUSED' && refused.message).toMatch(/does not extend the tree of size \d+/);
        const sameSize = { ...seen, size: (await fork.latestCheckpoint()).size };
        expect(
          await witnessOnce({ logUrl: 'http://fork.test', logVkey, cosigner, state: sameSize, fetch: fetchFrom(forkApp) }),
        ).toMatchObject({ status: 'REFUSED', reason: 'FORK' });
        const ahead = { ...seen, size: seen.size + 1000 };
        expect(await witnessOnce({ logUrl: 'http://fork.test', logVkey, cosigner, state: ahead, fetch: fetchFrom(forkApp) })).toMatchObject(
          { status: 'REFUSED', reason: 'ROLLBACK' },
        );
        const otherLog = generateWitnessKey('x').vkey;
        expect(
          await witnessOnce({ logUrl: 'http://fork.test', logVkey: otherLog, cosigner, state: null, fetch: fetchFrom(forkApp) }),
        ).toMatchObject({ status: 'REFUSED' });
      } finally {
        await forkApp.close();
      }
    } finally {
      await forkDb.close();
    }
  });
});

/** Gives the fork the honest log's signing key, as an operator who forks the log would. */
async function copyLogKey(input: { from: Database; fromKey: Buffer; to: Database; toKey: Buffer }): Promise<void> {
  const { rows } = await input.from.db.execute<{ name: string; public_key: Uint8Array; secret_key_encrypted: string }>(
    sql`select * from ledger_keys`,
  );
  const row = rows[0]!;
  const seed = decryptSeed(input.fromKey, row.name, row.secret_key_encrypted);
  await input.to.db.execute(
    sql`insert into ledger_keys (name, public_key, secret_key_encrypted) values (${row.name}, ${Buffer.from(row.public_key)}, ${encryptSeed(input.toKey, row.name, seed)})`,
  );
}
