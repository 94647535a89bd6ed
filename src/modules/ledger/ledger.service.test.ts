import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { openCheckpoint } from '../../verify/checkpoint.ts';
import { hashLeaf, merkleRoot, verifyConsistency, verifyInclusion } from '../../verify/merkle.ts';
import { openNote, parseVerifierKey } from '../../verify/signed-note.ts';
import { parseCheckpoint } from '../../verify/checkpoint.ts';
import { LedgerIntegrityError, sequence } from './integrate.ts';
import { parseReceipt } from './receipt.ts';
import { createLedgerAdmin, createLedgerService, type LedgerService } from './ledger.service.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const entry = (i: number) => ({ kind: 'test.entry', data: utf8(`certificate.issued sha256:${i}`) });

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).name;
  }
  return 'RESOLVED';
}

describe.each(testEngines())('ledger on %s', (engine) => {
  let database: Database;
  let ledger: LedgerService;
  let vkey: string;
  /** The leaves the test appended, by index: the independent record to recompute from. */
  const leaves: Uint8Array[] = [];
  const recordedRoot = (size: number) => merkleRoot(leaves.slice(0, size).map(hashLeaf));
  const count = async () => Number((await database.db.execute<{ n: string }>(sql`select count(*) as n from ledger_entries`)).rows[0]!.n);

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ledger = createLedgerService({ db: database.db, masterKey: randomBytes(32), origin: 'yiban.test/ledger' });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("has none of the ledger admin's methods: the CLI registers witnesses without an access check, the routes cannot", () => {
    const adminMethods = Object.keys(createLedgerAdmin({ db: database.db }));
    expect(adminMethods).toEqual(expect.arrayContaining(['registerWitness', 'removeWitness']));
    for (const name of adminMethods) expect(ledger).not.toHaveProperty(name);
  });

  it('signs the empty tree on first use and publishes its key', async () => {
    const cp = await ledger.latestCheckpoint();
    vkey = await ledger.vkey();
    expect(vkey).toMatch(/^yiban\.test\/ledger\+[0-9a-f]{8}\+A[Q-f]/); // base64 of 0x01 ‖ key
    expect(cp.size).toBe(0);
    expect(openCheckpoint(cp.note, vkey)).toMatchObject({
      ok: true,
      checkpoint: { origin: 'yiban.test/ledger', size: 0, rootHash: merkleRoot([]) },
    });
  });

  it("queues in the caller's transaction: a rollback leaves nothing, and the sequencer numbers what committed, gap-free", async () => {
    const first = await ledger.append(entry(0));
    expect(first).toMatchObject({ status: 'pending', index: null, kind: 'test.entry' });
    // The receipt: the log's signed promise, which never reads as a checkpoint.
    const opened = openNote(first.receipt, [parseVerifierKey(vkey)!]);
    expect(opened.ok).toBe(true);
    const body = parseReceipt(opened.ok ? opened.text : '');
    expect(body).toMatchObject({ origin: 'yiban.test/ledger', id: first.id, kind: 'test.entry' });
    expect(Buffer.from(body!.leafHash).equals(Buffer.from(hashLeaf(entry(0).data)))).toBe(true);
    expect(body!.promisedBy.getTime() - body!.queuedAt.getTime()).toBe(ledger.maxMergeDelayMs);
    expect(parseCheckpoint(opened.ok ? opened.text : '')).toBeNull();
    leaves.push(entry(0).data);
    await expect(
      database.db.transaction(async (tx) => {
        await ledger.appendInTx(tx, entry(999));
        throw new Error('issuance failed');
      }),
    ).rejects.toThrow('issuance failed');
    const second = await database.db.transaction((tx) => ledger.appendInTx(tx, entry(1)));
    leaves.push(entry(1).data);
    expect(second.id).toBeGreaterThan(first.id);
    expect(await count()).toBe(0);
    await ledger.sequenceNow();
    expect(await count()).toBe(2);
    expect(await ledger.lookup(first.id)).toMatchObject({ status: 'sequenced', index: 0, integrated: true });
    expect(await ledger.waitForIndex(second.id)).toBe(1);
    expect((await ledger.receipt(second.id)).index).toBe(1);
    expect(await ledger.lookup(second.id + 1000)).toBeNull();
    expect(await rejection(ledger.receipt(second.id + 1000))).toBe('NOT_FOUND');
    expect(await rejection(ledger.append({ kind: 'Bad Kind', data: utf8('x') }))).toBe('VALIDATION_FAILED');
    expect(await rejection(ledger.append({ kind: 'ok', data: new Uint8Array(70_000) }))).toBe('VALIDATION_FAILED');
  });

  it('gives concurrent writers, some of whom roll back, one index each, gap-free, in id order', async () => {
    const n = engine === 'postgres' ? 120 : 40;
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        database.db.transaction(async (tx) => {
          const { id } = await ledger.appendInTx(tx, entry(1000 + i));
          if (i % 7 === 3) throw new Error('rolled back');
          return { i, id };
        }),
      ),
    );
    const committed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(committed).toHaveLength(n - results.filter((r) => r.status === 'rejected').length);
    const batch = await ledger.appendMany(Array.from({ length: 1500 }, (_, i) => entry(5000 + i)));
    expect(batch.ids).toHaveLength(1500);
    await ledger.sequenceNow();
    const indexes = await ledger.indexesOf([...committed.map((c) => c.id), ...batch.ids]);
    const byId = [...committed].sort((x, y) => x.id - y.id);
    for (const [k, c] of byId.entries()) {
      expect(indexes.get(c.id)).toBe(2 + k);
      leaves[2 + k] = entry(1000 + c.i).data;
    }
    for (const [k, id] of batch.ids.entries()) expect(indexes.get(id)).toBe(2 + committed.length + k);
    for (let i = 0; i < 1500; i++) leaves.push(entry(5000 + i).data);
    const { rows } = await database.db.execute<{ idx: string | number }>(sql`select idx from ledger_entries order by idx`);
    expect(rows.map((r) => Number(r.idx))).toEqual(leaves.map((_, i) => i));
    expect(Number((await database.db.execute<{ n: string }>(sql`select count(*) as n from ledger_queue`)).rows[0]!.n)).toBe(0);
  });

  it('integrates into a signed checkpoint whose root is the independent recomputation, once', async () => {
    const more = await ledger.appendMany([entry(6600), entry(6601)]);
    leaves.push(entry(6600).data, entry(6601).data);
    expect(more.ids).toHaveLength(2);
    const [a, b] = await Promise.all([ledger.integrate(), ledger.integrate()]);
    const statuses = [a.status, b.status].sort();
    expect(statuses.filter((s) => s === 'integrated')).toHaveLength(1);
    const cp = await ledger.latestCheckpoint();
    expect(cp.size).toBe(leaves.length);
    const opened = openCheckpoint(cp.note, vkey);
    expect(opened.ok && Buffer.from(opened.checkpoint.rootHash).equals(recordedRoot(leaves.length))).toBe(true);
    expect((await ledger.integrate()).status).toBe('unchanged');
  });

  it('proves inclusion and consistency against the signed checkpoints', async () => {
    const first = await ledger.latestCheckpoint();
    for (let i = 0; i < 10; i++) {
      await ledger.append(entry(9000 + i));
      leaves.push(entry(9000 + i).data);
    }
    await ledger.integrate();
    const second = await ledger.latestCheckpoint();
    for (const index of [0, 1, 255, 256, 1000, first.size - 1, second.size - 1]) {
      const proof = await ledger.inclusionProof(index);
      expect(proof.size).toBe(second.size);
      expect(
        verifyInclusion({ index, size: proof.size, leafHash: hashLeaf(leaves[index]!), proof: proof.hashes, root: second.rootHash }),
      ).toBe(true);
      const old = await ledger.inclusionProof(Math.min(index, first.size - 1), first.size);
      expect(
        verifyInclusion({
          index: old.index,
          size: first.size,
          leafHash: hashLeaf(leaves[old.index]!),
          proof: old.hashes,
          root: first.rootHash,
        }),
      ).toBe(true);
    }
    const consistency = await ledger.consistencyProof(first.size);
    expect(
      verifyConsistency({
        oldSize: first.size,
        newSize: second.size,
        oldRoot: first.rootHash,
        newRoot: second.rootHash,
        proof: consistency.hashes,
      }),
    ).toBe(true);
    expect(await rejection(ledger.inclusionProof(0, second.size + 1))).toBe('LEDGER_SIZE_UNAVAILABLE');
    expect(await rejection(ledger.inclusionProof(second.size))).toBe('VALIDATION_FAILED');
    expect(await rejection(ledger.consistencyProof(1, second.size + 1))).toBe('LEDGER_SIZE_UNAVAILABLE');
    expect(await rejection(ledger.consistencyProof(second.size + 1, second.size))).toBe('VALIDATION_FAILED');
  });

  it('recomputes lost or damaged tiles from the entries, and never signs over tampered entries', async () => {
    await ledger.append(entry(9100));
    leaves.push(entry(9100).data);
    await database.db.execute(sql`delete from ledger_tiles where level = 0 and "index" = 1`);
    // Every bit of the first byte flipped: setting it to 0xff left it as it was when it already was (1 in 256 runs).
    await database.db.execute(sql`update ledger_tiles set hashes = set_byte(hashes, 0, 255 - get_byte(hashes, 0)) where level = 1`);
    const result = await ledger.integrate();
    expect(result).toMatchObject({ status: 'integrated', rebuilt: true, checkpoint: { size: leaves.length } });
    expect(Buffer.from((await ledger.latestCheckpoint()).rootHash).equals(recordedRoot(leaves.length))).toBe(true);
    expect((await ledger.audit()).ok).toBe(true);

    await ledger.append(entry(9101));
    leaves.push(entry(9101).data);
    await database.db.execute(sql`update ledger_entries set data = '\\x00'::bytea where idx = 5`);
    await database.db.execute(sql`delete from ledger_tiles`);
    expect(await rejection(ledger.integrate())).toBe(new LedgerIntegrityError('').name);
    await database.db.execute(sql`update ledger_entries set data = ${Buffer.from(leaves[5]!)} where idx = 5`);
    expect(await ledger.integrate()).toMatchObject({ status: 'integrated', rebuilt: true });
  });

  it('never integrates over a missing sequenced entry, nor past the head', async () => {
    const first = leaves.length;
    for (let i = 0; i < 3; i++) {
      await ledger.append(entry(9300 + i));
      leaves.push(entry(9300 + i).data);
    }
    expect(await sequence(database.db, 100)).toMatchObject({ status: 'sequenced', first, count: 3 });
    const removed = await database.db.execute<{ id: string | number; created_at: Date }>(
      sql`delete from ledger_entries where idx = ${first + 1} returning id, created_at`,
    );
    expect(await rejection(ledger.integrate())).toBe(new LedgerIntegrityError('').name);
    const { id, created_at } = removed.rows[0]!;
    await database.db.execute(
      sql`insert into ledger_entries (idx, id, kind, data, created_at) values (${first + 1}, ${id}, 'test.entry', ${Buffer.from(leaves[first + 1]!)}, ${created_at})`,
    );
    expect(await ledger.integrate()).toMatchObject({ status: 'integrated', checkpoint: { size: first + 3 } });
    expect(Buffer.from((await ledger.latestCheckpoint()).rootHash).equals(recordedRoot(first + 3))).toBe(true);
  });

  it('audit passes, then names an edited, a deleted and a swapped row by index', async () => {
    // Checkpoints inside a tile that then fills up: the audit checks roots within whole tiles too.
    for (let round = 0; round < 3; round++) {
      const more = Array.from({ length: 100 }, (_, i) => entry(20_000 + round * 100 + i));
      await ledger.appendMany(more);
      leaves.push(...more.map((e) => e.data));
      await ledger.integrate();
    }
    const clean = await ledger.audit();
    expect(clean).toMatchObject({ ok: true, entries: leaves.length, treeSize: leaves.length, problemCount: 0 });
    expect(clean.checkpoints).toBeGreaterThanOrEqual(7);

    await database.db.execute(sql`update ledger_entries set data = ${Buffer.from('forged')} where idx = 300`);
    let report = await ledger.audit();
    expect(report.ok).toBe(false);
    expect(report.problems.filter((p) => p.kind === 'entry-mismatch').map((p) => p.index)).toEqual([300]);
    expect(report.problems.some((p) => p.kind === 'checkpoint-root')).toBe(true);
    await database.db.execute(sql`update ledger_entries set data = ${Buffer.from(leaves[300]!)} where idx = 300`);

    const deleted = async (idx: number) =>
      (
        await database.db.execute<{ id: string; created_at: Date }>(
          sql`delete from ledger_entries where idx = ${idx} returning id::text, created_at`,
        )
      ).rows[0]!;
    const restore = async (idx: number, row: { id: string; created_at: Date }) => {
      await database.db.execute(
        sql`insert into ledger_entries (idx, id, kind, data, created_at) values (${idx}, ${row.id}::bigint, 'test.entry', ${Buffer.from(leaves[idx]!)}, ${row.created_at})`,
      );
    };
    const seventh = await deleted(7);
    report = await ledger.audit();
    expect(report.problems.map((p) => [p.kind, p.index])).toEqual([
      ['entry-metadata', 2],
      ['missing-entry', 7],
    ]);
    await restore(7, seventh);

    const swap = async () => {
      await database.db.execute(
        sql`update ledger_entries set data = case idx when 20 then ${Buffer.from(leaves[21]!)}::bytea else ${Buffer.from(leaves[20]!)}::bytea end where idx in (20, 21)`,
      );
    };
    await swap();
    report = await ledger.audit();
    expect(report.problems.filter((p) => p.kind === 'entry-mismatch').map((p) => p.index)).toEqual([20, 21]);
    await database.db.execute(
      sql`update ledger_entries set data = case idx when 20 then ${Buffer.from(leaves[20]!)}::bytea else ${Buffer.from(leaves[21]!)}::bytea end where idx in (20, 21)`,
    );

    const last = leaves.length - 1;
    const lastRow = await deleted(last);
    report = await ledger.audit();
    expect(report.problems.map((p) => p.kind).sort()).toEqual(['entry-metadata', 'missing-entry']);
    expect(report.problems.find((p) => p.kind === 'missing-entry')!.index).toBe(last);
    await restore(last, lastRow);
    expect((await ledger.audit()).ok).toBe(true);
  });

  it('audit checks every stored column of every entry: each edit, a deletion, a swap and a forged append are caught', async () => {
    expect((await ledger.audit()).ok).toBe(true);
    const at = 5;
    const original = (
      await database.db.execute<{ id: string; kind: string; data: Uint8Array; created_at: Date }>(
        sql`select id::text, kind, data, created_at from ledger_entries where idx = ${at}`,
      )
    ).rows[0]!;
    const caught = async (label: string, edit: ReturnType<typeof sql>, undo: ReturnType<typeof sql>) => {
      await database.db.execute(edit);
      const report = await ledger.audit();
      await database.db.execute(undo);
      expect({ label, ok: report.ok }).toEqual({ label, ok: false });
      return report.problems.map((p) => p.kind);
    };
    expect(
      await caught(
        'kind',
        sql`update ledger_entries set kind = 'x' where idx = ${at}`,
        sql`update ledger_entries set kind = ${original.kind} where idx = ${at}`,
      ),
    ).toContain('entry-metadata');
    expect(
      await caught(
        'created_at',
        sql`update ledger_entries set created_at = created_at + interval '1 microsecond' where idx = ${at}`,
        sql`update ledger_entries set created_at = ${original.created_at} where idx = ${at}`,
      ),
    ).toContain('entry-metadata');
    expect(
      await caught(
        'id',
        sql`update ledger_entries set id = id + 1000000 where idx = ${at}`,
        sql`update ledger_entries set id = ${original.id}::bigint where idx = ${at}`,
      ),
    ).toContain('entry-metadata');
    expect(
      await caught(
        'data',
        sql`update ledger_entries set data = ${Buffer.from('forged')} where idx = ${at}`,
        sql`update ledger_entries set data = ${Buffer.from(original.data)} where idx = ${at}`,
      ),
    ).toContain('entry-mismatch');
    expect(
      await caught(
        'idx',
        sql`update ledger_entries set idx = -1 where idx = ${at}`,
        sql`update ledger_entries set idx = ${at} where idx = -1`,
      ),
    ).toEqual(expect.arrayContaining(['missing-entry', 'entry-metadata']));
    // Swapping whole rows (every column) between two indexes.
    const swapRows = async () => {
      await database.db.execute(sql`update ledger_entries set idx = -10 where idx = 10`);
      await database.db.execute(sql`update ledger_entries set idx = 10 where idx = 11`);
      await database.db.execute(sql`update ledger_entries set idx = 11 where idx = -10`);
    };
    await swapRows();
    const swapped = await ledger.audit();
    await swapRows();
    expect(swapped.problems.filter((p) => p.kind === 'entry-mismatch').map((p) => p.index)).toEqual([10, 11]);
    expect(swapped.problems.map((p) => p.kind)).toContain('entry-metadata');
    expect((await ledger.audit()).ok).toBe(true);
    // leaf_hash is computed by the database and cannot be written.
    expect(await rejection(database.db.execute(sql`update ledger_entries set leaf_hash = '\\x00'::bytea where idx = ${at}`))).not.toBe(
      'RESOLVED',
    );
    // A forged entry appended beyond the head: the head counter no longer covers it.
    const size = leaves.length;
    await database.db.execute(
      sql`insert into ledger_entries (idx, id, kind, data) values (${size}, 999999999, 'test.entry', ${Buffer.from('forged')})`,
    );
    const forged = await ledger.audit();
    expect(forged.problems.map((p) => p.kind)).toContain('head-behind');
    await database.db.execute(sql`delete from ledger_entries where idx = ${size}`);
    expect((await ledger.audit()).ok).toBe(true);
  });

  it('integrates in the background while entries arrive', async () => {
    const integrator = ledger.startSequencer({ intervalMs: 10, checkpointIntervalMs: 20 });
    try {
      for (let i = 0; i < 5; i++) {
        const { id } = await ledger.append(entry(9200 + i));
        leaves.push(entry(9200 + i).data);
        for (let tries = 0; tries < 400 && (await ledger.lookup(id))?.status !== 'sequenced'; tries++)
          await new Promise((r) => setTimeout(r, 5));
        expect((await ledger.lookup(id))?.index).toBe(leaves.length - 1);
      }
      for (let tries = 0; tries < 200 && (await ledger.latestCheckpoint()).size < leaves.length; tries++)
        await new Promise((r) => setTimeout(r, 25));
    } finally {
      await integrator.stop();
    }
    const cp = await ledger.latestCheckpoint();
    expect(cp.size).toBe(leaves.length);
    expect(Buffer.from(cp.rootHash).equals(recordedRoot(leaves.length))).toBe(true);
  });
});

describe.each(testEngines())('a leaf queued with its row on %s', (engine) => {
  let database: Database;
  let ledger: LedgerService;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ledger = createLedgerService({ db: database.db, masterKey: randomBytes(32), origin: 'yiban.test/ledger' });
    await database.db.execute(sql`create table ledger_test_rows (key text primary key, entry_id bigint not null)`);
  });
  afterAll(async () => {
    await database?.close();
  });

  const insert = (entryId: string) => ({
    name: 'ledger_test_insert_row',
    text: `insert into ledger_test_rows (key, entry_id) values ($1, ${entryId}) on conflict do nothing returning entry_id`,
  });

  it('queues the leaf only when the row is written, in one statement, naming the same entry', async () => {
    const first = await ledger.appendWithInsert(database.db, entry(1), insert, ['k1']);
    expect(first).not.toBeNull();
    // The same key again: the insert does nothing, so no leaf either.
    expect(await ledger.appendWithInsert(database.db, entry(2), insert, ['k1'])).toBeNull();
    const second = await ledger.appendWithInsert(database.db, entry(3), insert, ['k2']);
    expect(second!.id).toBeGreaterThan(first!.id);
    const rows = await database.db.execute<{ key: string; entry_id: string | number }>(
      sql`select key, entry_id from ledger_test_rows order by key`,
    );
    expect(rows.rows.map((r) => [r.key, Number(r.entry_id)])).toEqual([
      ['k1', first!.id],
      ['k2', second!.id],
    ]);
    await ledger.sequenceNow();
    const sequenced = await ledger.lookup(first!.id);
    expect(sequenced).toMatchObject({ status: 'sequenced', index: 0 });
    expect(Buffer.from(sequenced!.leafHash).equals(Buffer.from(hashLeaf(entry(1).data)))).toBe(true);
    expect(await ledger.lookup(second!.id)).toMatchObject({ status: 'sequenced', index: 1 });
    expect(await rejection(ledger.appendWithInsert(database.db, { kind: 'Bad Kind', data: utf8('x') }, insert, ['k3']))).toBe(
      'VALIDATION_FAILED',
    );
  });
});
