import { randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { issuanceLeaf, parsePayload } from '../../verify/document.ts';
import { verify } from '../../verify/signatures.ts';
import { certificates } from '../certificates/certificates.tables.ts';
import { caseDecisions, caseEvents, cases } from './applications.tables.ts';
import { MAX_BATCH_DECISIONS } from './batch-decisions.ts';
import { hanDigits } from '../../demo/han-digits.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

describe.each(testEngines())('batch decisions on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  async function submitted(count: number, homeOrgCode = VILLAGE): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const resident = await ctx.newResident({ homeOrgCode, name: `批量${hanDigits(i)}` });
      ids.push((await ctx.services.applications.submit(resident, residence)).case.id);
    }
    return ids;
  }

  async function certificatesOf(caseIds: string[]) {
    return ctx.database.db.select().from(certificates).where(inArray(certificates.caseId, caseIds));
  }

  /** Certificates, issuance leaves and status slots of the whole database, which must agree. */
  async function totals() {
    await ctx.services.ledger.sequenceNow();
    const rows = await ctx.database.db
      .select({ ledgerEntryId: certificates.ledgerEntryId, slot: certificates.statusIndex })
      .from(certificates);
    const indexes = await ctx.services.ledger.indexesOf(rows.map((r) => r.ledgerEntryId));
    const leaves = await ctx.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from ledger_entries where kind = 'certificate.issued'`,
    );
    return {
      certificates: rows.length,
      leaves: leaves.rows[0]!.n,
      slots: new Set(rows.map((r) => r.slot)).size,
      ledgerIndexes: new Set(rows.map((r) => indexes.get(r.ledgerEntryId))).size,
      unindexed: rows.filter((r) => !indexes.has(r.ledgerEntryId)).length,
    };
  }

  function expectConsistent(t: Awaited<ReturnType<typeof totals>>) {
    expect(t.leaves).toBe(t.certificates);
    expect(t.slots).toBe(t.certificates);
    expect(t.ledgerIndexes).toBe(t.certificates);
    expect(t.unindexed).toBe(0);
  }

  it('decides what the reviewer may decide and says why for the rest', async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const own = await submitted(3);
    const [elsewhere] = await submitted(1, ctx.otherVillage);
    const [decidedBefore] = await submitted(1);
    await ctx.services.applications.act(reviewer, decidedBefore!, 'reject', '材料不全');
    const unknown = randomUUID();
    const results = await ctx.services.applications.decideMany(reviewer, {
      ids: [...own, elsewhere!, decidedBefore!, unknown, 'not-a-uuid', own[0]!],
      decision: 'approve',
    });
    expect(results.map((r) => [r.id, r.outcome, r.error?.code ?? null])).toEqual([
      ...own.map((id) => [id, 'approved', null]),
      [elsewhere, 'not_found', 'NOT_FOUND'],
      [decidedBefore, 'conflict', 'ALREADY_DECIDED'],
      [unknown, 'not_found', 'NOT_FOUND'],
      ['not-a-uuid', 'not_found', 'NOT_FOUND'],
    ]);
    expect(
      results.filter((r) => r.outcome === 'approved').every((r) => r.state === 'completed' && r.outcomeNote?.includes('1.2.156.3005.2.')),
    ).toBe(true);
    // A case the reviewer may not see says nothing about itself.
    expect(results.find((r) => r.id === elsewhere)?.state).toBeUndefined();

    const certs = await certificatesOf(own);
    expect(certs).toHaveLength(3);
    for (const cert of certs) {
      const payload = parsePayload(cert.payload)!;
      const key = await ctx.services.keys.getPublicKey(cert.keyId);
      expect(verify('SM2', key!.publicKeySpki, new TextEncoder().encode(cert.payload), Buffer.from(cert.signature, 'base64'))).toBe(true);
      const entry = await ctx.services.ledger.getEntry(await ctx.services.ledger.waitForIndex(cert.ledgerEntryId));
      expect(Buffer.from(entry.data).toString()).toBe(issuanceLeaf(payload, cert.payload));
      expect(results.find((r) => r.id === cert.caseId)?.outcomeNote).toContain(cert.identifier);
    }
    const events = await ctx.database.db.select().from(caseEvents).where(eq(caseEvents.caseId, own[0]!));
    expect(events.map((e) => `${e.action}:${e.toState}`)).toEqual([
      'submit:draft',
      'submit:submitted',
      'approve:approved',
      'complete:completed',
    ]);
    expect(events.at(-1)?.reason).toContain(certs.find((c) => c.caseId === own[0])!.identifier);
    const outbox = await ctx.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from outbox where topic = 'certificate.issued' and payload->>'caseId' in (${sql.join(
        own.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
    expect(outbox.rows[0]!.n).toBe(3);
    // The untouched cases are untouched.
    const [other] = await ctx.database.db.select().from(cases).where(eq(cases.id, elsewhere!));
    expect(other?.state).toBe('submitted');
    expectConsistent(await totals());
  });

  it('refuses handlers who may only look, residents, bad sizes and a rejection without a reason', async () => {
    const ids = await submitted(2);
    const supervisor = await ctx.newStaff('supervisor', '130123');
    const results = await ctx.services.applications.decideMany(supervisor, { ids, decision: 'approve' });
    expect(results.map((r) => r.outcome)).toEqual(['forbidden', 'forbidden']);
    const resident = await ctx.newResident();
    expect(await rejection(ctx.services.applications.decideMany(resident, { ids, decision: 'approve' }))).toBe('FORBIDDEN');
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    expect(await rejection(ctx.services.applications.decideMany(reviewer, { ids, decision: 'reject' }))).toBe('VALIDATION_FAILED');
    expect(await rejection(ctx.services.applications.decideMany(reviewer, { ids: [], decision: 'approve' }))).toBe('VALIDATION_FAILED');
    const tooMany = Array.from({ length: MAX_BATCH_DECISIONS + 1 }, () => randomUUID());
    expect(await rejection(ctx.services.applications.decideMany(reviewer, { ids: tooMany, decision: 'approve' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await certificatesOf(ids)).toHaveLength(0);
    const rejected = await ctx.services.applications.decideMany(reviewer, { ids, decision: 'reject', reason: '不符合条件' });
    expect(rejected.map((r) => [r.outcome, r.state])).toEqual([
      ['rejected', 'rejected'],
      ['rejected', 'rejected'],
    ]);
    expect(await certificatesOf(ids)).toHaveLength(0);
    const decisions = await ctx.database.db.select().from(caseDecisions).where(inArray(caseDecisions.caseId, ids));
    expect(decisions.map((d) => [d.decision, d.reason])).toEqual([
      ['rejected', '不符合条件'],
      ['rejected', '不符合条件'],
    ]);
  });

  it('gives no second certificate when the same batch is sent again', async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const ids = await submitted(4);
    const first = await ctx.services.applications.decideMany(reviewer, { ids, decision: 'approve' });
    expect(first.every((r) => r.outcome === 'approved')).toBe(true);
    const before = await certificatesOf(ids);
    const again = await ctx.services.applications.decideMany(reviewer, { ids, decision: 'approve' });
    expect(again.map((r) => [r.outcome, r.error?.code])).toEqual(ids.map(() => ['conflict', 'ALREADY_DECIDED']));
    const after = await certificatesOf(ids);
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    expectConsistent(await totals());
  });

  it('decides each case once when batches over overlapping cases run at the same time', async () => {
    const reviewers = await Promise.all([1, 2, 3].map(() => ctx.newStaff('village_reviewer', VILLAGE)));
    const ids = await submitted(12);
    // Three batches, each overlapping the others, plus single approvals racing them.
    const batches = [ids.slice(0, 8), ids.slice(4, 12), [...ids.slice(0, 2), ...ids.slice(6, 10)].reverse()];
    const outcomes = await Promise.all([
      ...batches.map((batch, i) => ctx.services.applications.decideMany(reviewers[i]!, { ids: batch, decision: 'approve' })),
      ...ids.slice(0, 3).map((id) =>
        ctx.services.applications.act(reviewers[0]!, id, 'approve').then(
          () => [{ id, outcome: 'approved' }],
          () => [],
        ),
      ),
    ]);
    const approvals = new Map<string, number>();
    for (const r of outcomes.flat()) if (r.outcome === 'approved') approvals.set(r.id, (approvals.get(r.id) ?? 0) + 1);
    expect(ids.map((id) => approvals.get(id))).toEqual(ids.map(() => 1));
    for (const r of outcomes.slice(0, 3).flat()) expect(['approved', 'conflict']).toContain(r.outcome);
    const certs = await certificatesOf(ids);
    expect(certs).toHaveLength(ids.length);
    expect(new Set(certs.map((c) => c.caseId)).size).toBe(ids.length);
    const decisions = await ctx.database.db.select().from(caseDecisions).where(inArray(caseDecisions.caseId, ids));
    expect(decisions).toHaveLength(ids.length);
    const states = await ctx.database.db.select({ state: cases.state }).from(cases).where(inArray(cases.id, ids));
    expect(states.every((s) => s.state === 'completed')).toBe(true);
    expectConsistent(await totals());
  });
});
