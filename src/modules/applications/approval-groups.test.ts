import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { AppError } from '../../core/errors.ts';
import { hanDigits } from '../../demo/han-digits.ts';
import { certificates } from '../certificates/certificates.tables.ts';
import { caseDecisions, caseEvents, cases } from './applications.tables.ts';
import { createApprovalGroups, type DecideGroup } from './approval-groups.ts';
import type { BatchDecisionResult, CheckedDecision } from './batch-decisions.ts';
import type { CaseRow } from './applications.repository.ts';
import type { Principal } from '../identity/principal.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

const reviewer = { accountId: 'r', kind: 'staff', name: '审核员', roles: [] } as unknown as Principal;
const entry = (id: string): CheckedDecision => ({ principal: reviewer, row: { id } as CaseRow });
const approved = (id: string): BatchDecisionResult => ({ id, outcome: 'approved', state: 'completed', row: { id } as CaseRow });

/** A decideGroup that records its groups and answers when `release` is called. */
function recorder(fail?: (ids: string[]) => boolean) {
  const groups: string[][] = [];
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const decide: DecideGroup = async (entries) => {
    const ids = entries.map((e) => e.row.id);
    groups.push(ids);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight--;
    if (fail?.(ids)) throw new Error(`group ${ids.join(',')} failed`);
    return new Map(ids.map((id) => [id, approved(id)]));
  };
  const release = async () => {
    // Let the groups form, then answer all those waiting, until none is left.
    for (let i = 0; i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      for (const go of waiting.splice(0)) go();
    }
  };
  return { decide, groups, release, maxInFlight: () => maxInFlight };
}

describe('approval groups', () => {
  it('decides approvals that arrive together in one group, each with its own result', async () => {
    const r = recorder();
    const groups = createApprovalGroups(r.decide, { windowMs: 1, maxGroup: 100, maxInFlight: 2 });
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const done = Promise.all(ids.map((id) => groups.decide(entry(id))));
    await r.release();
    expect((await done).map((x) => x.id)).toEqual(ids);
    expect(r.groups).toEqual([ids]);
    expect(groups.stats()).toEqual({ groups: 1, decided: 5 });
  });

  it('keeps at most maxInFlight groups running and at most maxGroup cases in one', async () => {
    const r = recorder();
    const groups = createApprovalGroups(r.decide, { windowMs: 0, maxGroup: 3, maxInFlight: 2 });
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const done = Promise.all(ids.map((id) => groups.decide(entry(id))));
    await r.release();
    expect((await done).map((x) => x.id)).toEqual(ids);
    expect(r.groups.every((g) => g.length <= 3)).toBe(true);
    expect(r.groups.flat().sort()).toEqual([...ids].sort());
    expect(r.maxInFlight()).toBe(2);
  });

  it('puts a second approval of a case in the next group, never in the same one', async () => {
    const r = recorder();
    const groups = createApprovalGroups(r.decide, { windowMs: 1, maxGroup: 100, maxInFlight: 1 });
    const done = Promise.all(['a', 'b', 'a'].map((id) => groups.decide(entry(id))));
    await r.release();
    await done;
    expect(r.groups).toEqual([['a', 'b'], ['a']]);
  });

  it('tries each case alone when the group fails, so that only the failing case fails', async () => {
    const r = recorder((ids) => ids.includes('bad'));
    const groups = createApprovalGroups(r.decide, { windowMs: 1, maxGroup: 100, maxInFlight: 2 });
    const settled = Promise.allSettled(['a', 'bad', 'b'].map((id) => groups.decide(entry(id))));
    await r.release();
    const outcomes = (await settled).map((s) => (s.status === 'fulfilled' ? s.value.outcome : 'rejected'));
    expect(outcomes).toEqual(['approved', 'rejected', 'approved']);
    expect(r.groups[0]).toEqual(['a', 'bad', 'b']);
    expect(r.groups.slice(1).sort()).toEqual([['a'], ['b'], ['bad']]);
  });
});

describe.each(testEngines())('single approvals in groups on %s', (engine) => {
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
      const resident = await ctx.newResident({ homeOrgCode, name: `单件${hanDigits(i)}` });
      ids.push((await ctx.services.applications.submit(resident, residence)).case.id);
    }
    return ids;
  }

  it('approves concurrent single cases, each answered on its own, one certificate and leaf each, retries included', async () => {
    const reviewers = await Promise.all([1, 2, 3].map(() => ctx.newStaff('village_reviewer', VILLAGE)));
    const ids = await submitted(6);
    const [elsewhere] = await submitted(1, ctx.otherVillage);
    const [rejected] = await submitted(1);
    await ctx.services.applications.act(reviewers[0]!, rejected!, 'reject', '材料不全');
    const tries: { id: string; by: number }[] = [
      ...ids.map((id, i) => ({ id, by: i % 3 })),
      // A retry of the first case while it is being approved, by another reviewer.
      { id: ids[0]!, by: 1 },
      { id: elsewhere!, by: 0 },
      { id: rejected!, by: 2 },
    ];
    const outcomes = await Promise.all(
      tries.map(({ id, by }) =>
        ctx.services.applications.act(reviewers[by]!, id, 'approve').then(
          (view) => ({ id, by, state: view.state }),
          (error: unknown) => ({ id, by, state: error instanceof AppError ? error.code : String(error) }),
        ),
      ),
    );
    const byCase = (id: string) => outcomes.filter((o) => o.id === id).map((o) => o.state);
    expect(byCase(ids[0]!).sort()).toEqual(['ALREADY_DECIDED', 'completed']);
    for (const id of ids.slice(1)) expect(byCase(id)).toEqual(['completed']);
    expect(byCase(elsewhere!)).toEqual(['NOT_FOUND']);
    expect(byCase(rejected!)).toEqual(['ALREADY_DECIDED']);

    const certs = await ctx.database.db
      .select()
      .from(certificates)
      .where(inArray(certificates.caseId, [...ids, elsewhere!, rejected!]));
    expect(certs.map((c) => c.caseId).sort()).toEqual([...ids].sort());
    // Each decision and its events name the reviewer whose request approved it.
    const winner = new Map(outcomes.filter((o) => o.state === 'completed').map((o) => [o.id, reviewers[o.by]!.accountId]));
    const decisions = await ctx.database.db.select().from(caseDecisions).where(inArray(caseDecisions.caseId, ids));
    expect(decisions.map((d) => [d.caseId, d.decidedBy]).sort()).toEqual(ids.map((id) => [id, winner.get(id)]).sort());
    for (const c of certs) expect(c.reviewerId).toBe(winner.get(c.caseId));
    const events = await ctx.database.db.select().from(caseEvents).where(inArray(caseEvents.caseId, ids));
    for (const id of ids) {
      expect(
        events
          .filter((e) => e.caseId === id)
          .sort((a, b) => a.id - b.id)
          .map((e) => [e.action, e.actorId]),
      ).toEqual([
        ['submit', expect.any(String)],
        ['submit', expect.any(String)],
        ['approve', winner.get(id)],
        ['complete', winner.get(id)],
      ]);
    }
    const states = await ctx.database.db.select({ state: cases.state }).from(cases).where(inArray(cases.id, ids));
    expect(states.every((s) => s.state === 'completed')).toBe(true);

    await ctx.services.ledger.sequenceNow();
    const leaves = await ctx.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from ledger_entries e join certificates c on c.ledger_entry_id = e.id where e.kind = 'certificate.issued'`,
    );
    const total = await ctx.database.db.execute<{ n: number }>(sql`select count(*)::int as n from certificates`);
    expect(leaves.rows[0]!.n).toBe(total.rows[0]!.n);

    // A retry afterwards changes nothing.
    expect(await rejection(ctx.services.applications.act(reviewers[2]!, ids[3]!, 'approve'))).toBe('ALREADY_DECIDED');
    expect(await ctx.database.db.select().from(certificates).where(inArray(certificates.caseId, ids))).toHaveLength(ids.length);
  });

  it('checks access per request before a case joins a group', async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const supervisor = await ctx.newStaff('supervisor', '130123');
    const [id] = await submitted(1);
    const [mine] = await submitted(1);
    const results = await Promise.allSettled([
      ctx.services.applications.act(supervisor, id!, 'approve'),
      ctx.services.applications.act(reviewer, mine!, 'approve'),
    ]);
    expect(results[0].status).toBe('rejected');
    expect(((results[0] as PromiseRejectedResult).reason as AppError).code).toBe('FORBIDDEN');
    expect(results[1].status).toBe('fulfilled');
    const [row] = await ctx.database.db
      .select({ state: cases.state })
      .from(cases)
      .where(inArray(cases.id, [id!]));
    expect(row!.state).toBe('submitted');
  });
});
