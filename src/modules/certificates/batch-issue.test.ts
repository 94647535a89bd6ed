import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { parsePayload } from '../../verify/document.ts';
import { verify } from '../../verify/signatures.ts';
import { divisionCreditCode } from '../orgs/credit-code.ts';
import { createDisclosureVault } from './disclosure-vault.ts';
import { prepareBatchIssue, type BatchItem } from './batch-issue.ts';
import { findByCases } from './batch-issue.repository.ts';
import { freeSlots } from './batch-signatures.ts';
import { AppError } from '../../core/errors.ts';
import * as repo from './certificates.repository.ts';
import { certificates } from './certificates.tables.ts';
import { issuanceLeafFast } from './digests.ts';
import { ledgerEntries } from '../ledger/ledger.tables.ts';
import { inArray } from 'drizzle-orm';

describe.each(testEngines())('batch issuance on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  async function items(count: number): Promise<BatchItem[]> {
    const type = (await repo.findTypeByService(ctx.database.db, 'cert.residence'))!;
    const org = (await ctx.services.orgs.getOrg(VILLAGE))!;
    const creditCode = divisionCreditCode(org.divisionCode);
    const seal = await ctx.services.keys.ensureSealKey({ code: org.code, name: org.name, creditCode });
    return Array.from({ length: count }, (_, i) => ({
      caseId: randomUUID(),
      applicantId: randomUUID(),
      reviewerId: randomUUID(),
      type,
      issuer: { code: org.code, name: org.name, path: org.path, creditCode },
      holder: { name: `持证人${i}`, residentIdMasked: '130123********0011' },
      seal,
      values: [{ name: 'holderName', value: `持证人${i}` }],
    }));
  }

  it('draws again and re-signs when a concurrent batch took the slot it was prepared with', async () => {
    // A list of 6 slots and two batches of 3 prepared before either is written: the second
    // batch's slots very likely overlap the first's, and must end up on the 3 left over.
    const statusList = { list: `small-${randomUUID()}`, size: 6, url: 'https://yiban.example.cn/api/status-lists/small' };
    const deps = { ledger: ctx.services.ledger, events: ctx.services.events, vault: createDisclosureVault(ctx.masterKey), statusList };
    const [a, b] = [await items(3), await items(3)];
    const now = new Date();
    const first = await prepareBatchIssue(ctx.database.db, deps, a, now);
    const second = await prepareBatchIssue(ctx.database.db, deps, b, now);
    await ctx.database.db.transaction((tx) =>
      first.issue(
        tx,
        a.map((i) => i.caseId),
      ),
    );
    const issued = await ctx.database.db.transaction((tx) =>
      second.issue(
        tx,
        b.map((i) => i.caseId),
      ),
    );
    const rows = await ctx.database.db.select().from(certificates).where(eq(certificates.statusList, statusList.list));
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.statusIndex))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    for (const row of rows) {
      const payload = parsePayload(row.payload)!;
      // The signed payload names the slot the row holds, and the signature is over that payload.
      expect(payload.status.index).toBe(row.statusIndex);
      const key = await ctx.services.keys.getPublicKey(row.keyId);
      expect(verify('SM2', key!.publicKeySpki, new TextEncoder().encode(row.payload), Buffer.from(row.signature, 'base64'))).toBe(true);
      expect(row.ledgerEntryId).toBeGreaterThan(0);
    }
    // Each row names the leaf of its own issuance, including the re-signed ones whose first ids
    // went unused: six distinct leaves, three consecutive per batch once sequenced.
    await ctx.services.ledger.sequenceNow();
    const leaves = await ctx.database.db
      .select()
      .from(ledgerEntries)
      .where(
        inArray(
          ledgerEntries.id,
          rows.map((r) => r.ledgerEntryId),
        ),
      );
    const leafOf = new Map(leaves.map((l) => [l.id, Buffer.from(l.data).toString('utf8')]));
    for (const row of rows) expect(leafOf.get(row.ledgerEntryId)).toBe(issuanceLeafFast(parsePayload(row.payload)!, row.payload));
    const indexes = leaves.map((l) => l.idx).sort((x, y) => x - y);
    expect(indexes[5]! - indexes[0]!).toBe(5);
    expect([...issued.values()].map((r) => r.identifier).sort()).toEqual(b.map((i) => second.identifiers.get(i.caseId)).sort());
    // A seventh certificate has no slot left.
    const third = await prepareBatchIssue(ctx.database.db, deps, await items(1), now).catch((error: unknown) => error);
    expect((third as { code?: string }).code).toBe('CONFLICT');
  });

  it('finds the last free slot of a list nearly full every time, and calls the list full only when it is', async () => {
    // 7 of 8 slots taken: random draws miss the free one 7 times in 8, so the exact read of the
    // list's free slots is what finds it in most of these tries.
    const statusList = { list: `nearly-full-${randomUUID()}`, size: 8, url: 'https://yiban.example.cn/api/status-lists/nearly-full' };
    const deps = { ledger: ctx.services.ledger, events: ctx.services.events, vault: createDisclosureVault(ctx.masterKey), statusList };
    const seven = await items(7);
    const prepared = await prepareBatchIssue(ctx.database.db, deps, seven, new Date());
    await ctx.database.db.transaction((tx) =>
      prepared.issue(
        tx,
        seven.map((x) => x.caseId),
      ),
    );
    const taken = new Set(
      (
        await ctx.database.db
          .select({ slot: certificates.statusIndex })
          .from(certificates)
          .where(eq(certificates.statusList, statusList.list))
      ).map((r) => r.slot),
    );
    expect(taken.size).toBe(7);
    const last = [0, 1, 2, 3, 4, 5, 6, 7].find((i) => !taken.has(i))!;
    for (let i = 0; i < 30; i++) expect(await freeSlots(ctx.database.db, statusList, 1, new Set())).toEqual([last]);
    // Excluding it (a batch that tried it already), or wanting two: full.
    await expect(freeSlots(ctx.database.db, statusList, 1, new Set([last]))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(freeSlots(ctx.database.db, statusList, 2, new Set())).rejects.toBeInstanceOf(AppError);
    // The eighth certificate takes it; then the list is full.
    const eighth = await items(1);
    const one = await prepareBatchIssue(ctx.database.db, deps, eighth, new Date());
    await ctx.database.db.transaction((tx) => one.issue(tx, [eighth[0]!.caseId]));
    await expect(freeSlots(ctx.database.db, statusList, 1, new Set())).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('finishes concurrent batches prepared with the same slots, each slot once', async () => {
    // Two batches of 4 over a list of 8, prepared before either writes, then written at once:
    // the later writer waits for the earlier one's slots, skips them and draws the rest. (Inserting
    // in slot order keeps two overlapping 500-row inserts from waiting on each other in a cycle;
    // statements this small rarely overlap, so this checks the outcome, not the ordering.)
    for (let round = 0; round < 3; round++) {
      const statusList = { list: `pair-${randomUUID()}`, size: 8, url: 'https://yiban.example.cn/api/status-lists/pair' };
      const deps = { ledger: ctx.services.ledger, events: ctx.services.events, vault: createDisclosureVault(ctx.masterKey), statusList };
      const batches = [await items(4), await items(4)];
      const prepared = await Promise.all(batches.map((b) => prepareBatchIssue(ctx.database.db, deps, b, new Date())));
      await Promise.all(
        prepared.map((p, i) =>
          ctx.database.db.transaction((tx) =>
            p.issue(
              tx,
              batches[i]!.map((x) => x.caseId),
            ),
          ),
        ),
      );
      const rows = await ctx.database.db
        .select({ slot: certificates.statusIndex })
        .from(certificates)
        .where(eq(certificates.statusList, statusList.list));
      expect(rows.map((r) => r.slot).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
  });

  it('keeps the certificate a case already has when its issuance is written twice', async () => {
    const statusList = { list: '1', size: 131_072, url: 'https://yiban.example.cn/api/status-lists/1' };
    const deps = { ledger: ctx.services.ledger, events: ctx.services.events, vault: createDisclosureVault(ctx.masterKey), statusList };
    const batch = await items(2);
    const ids = batch.map((i) => i.caseId);
    const once = await prepareBatchIssue(ctx.database.db, deps, batch, new Date());
    const written = await ctx.database.db.transaction((tx) => once.issue(tx, ids));
    const twice = await prepareBatchIssue(ctx.database.db, deps, batch, new Date());
    const again = await ctx.database.db.transaction((tx) => twice.issue(tx, ids));
    expect(ids.map((id) => again.get(id)?.id)).toEqual(ids.map((id) => written.get(id)?.id));
    const rows = await findByCases(ctx.database.db, ids);
    expect(rows).toHaveLength(2);
  });
});
