import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, PASSWORD, VILLAGE, type TestContext } from '../../../test/factories.ts';
import type { Principal } from '../identity/index.ts';
import { decodeRatingLeaf, setRatingPolicy, type RatingLeaf } from './index.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};
const COUNTY = '130123';
const TOWNSHIP = '130123100';
/** Another county of the test divisions (石家庄市长安区). */
const ELSEWHERE = '130102';
const DAY = 86_400_000;

describe.each(testEngines())('好差评 ratings on %s', (engine) => {
  let ctx: TestContext;
  // Thursday 30 April 2026, 10:00 in China: the May Day holiday (1–5 May) and a make-up Saturday (9 May) follow.
  let now = new Date('2026-04-30T02:00:00Z');
  let reviewer: Principal;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => now });
    const county = (await ctx.services.orgs.getOrg(COUNTY))!;
    // The province allows 15 working days, the county 5: the nearest jurisdiction's rule applies.
    await setRatingPolicy(ctx.database.db, { orgPath: county.path.split('.')[0]!, workingDays: 15 });
    await setRatingPolicy(ctx.database.db, { orgPath: county.path, workingDays: 5, basis: '正定县好差评整改办法' });
    reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
  });

  const ratings = () => ctx.services.ratings;
  const count = async (query: ReturnType<typeof sql>) => Number((await ctx.database.db.execute<{ n: number }>(query)).rows[0]!.n);

  async function completedCase(resident: Principal): Promise<string> {
    const { case: c } = await ctx.services.applications.submit(resident, residence);
    const done = await ctx.services.applications.act(reviewer, c.id, 'approve');
    expect(done.state).toBe('completed');
    return c.id;
  }

  async function leaves(): Promise<{ leaf: RatingLeaf; text: string }[]> {
    const rows = await ctx.database.db.execute<{ data: Uint8Array | string }>(
      sql`select data from ledger_queue where kind = 'rating.v1' union all select data from ledger_entries where kind = 'rating.v1'`,
    );
    return rows.rows.map((r) => {
      const bytes = typeof r.data === 'string' ? Buffer.from(r.data.replace(/^\\x/, ''), 'hex') : new Uint8Array(r.data);
      return { leaf: decodeRatingLeaf(bytes)!, text: new TextDecoder().decode(bytes) };
    });
  }

  it('rates a completed case once; refuses it before completion, after the period, for someone else, twice; writes nothing then', async () => {
    now = new Date('2026-04-30T02:00:00Z');
    const resident = await ctx.newResident({ name: '李秀英' });
    const other = await ctx.newResident({ name: '王建国' });
    const { case: open } = await ctx.services.applications.submit(resident, residence);
    expect(await rejection(ratings().rateCase(resident, open.id, { level: 5 }))).toBe('INVALID_STATE');

    const caseId = await completedCase(resident);
    expect(await rejection(ratings().rateCase(other, caseId, { level: 1 }))).toBe('NOT_FOUND');
    expect(await rejection(ratings().rateCase(reviewer, caseId, { level: 5 }))).toBe('FORBIDDEN');
    // The online sub-indicators only: an app case has no 服务态度.
    expect(await rejection(ratings().rateCase(resident, caseId, { level: 5, indicators: { serviceAttitude: 5 } }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await count(sql`select count(*)::int as n from ratings where case_id = ${caseId}`)).toBe(0);

    const rating = await ratings().rateCase(resident, caseId, { level: 5, indicators: { efficiency: 5, usability: 4 }, comment: '很快' });
    expect(rating).toMatchObject({
      subject: 'case',
      caseId,
      channel: 'app',
      level: 5,
      levelLabel: { zh: '非常满意' },
      bad: false,
      realName: true,
      orgCode: VILLAGE,
      serviceCode: 'cert.residence',
      rectification: null,
    });
    const again = await ratings()
      .rateCase(resident, caseId, { level: 1 })
      .catch((e: unknown) => e as { code: string; status: number });
    expect(again).toMatchObject({ code: 'ALREADY_EXISTS', status: 409 });
    expect(await count(sql`select count(*)::int as n from ratings where case_id = ${caseId}`)).toBe(1);

    // Completed, never rated, and 16 days later: too late, and no rating was ever made up for it.
    const late = await completedCase(resident);
    now = new Date(now.getTime() + 16 * DAY);
    expect(await rejection(ratings().rateCase(resident, late, { level: 4 }))).toBe('CONFLICT');
    await ratings().escalateOverdue(now);
    expect(await count(sql`select count(*)::int as n from ratings where case_id = ${late}`)).toBe(0);
    expect((await ratings().mine(resident)).map((r) => r.caseId)).toEqual([caseId]);
  });

  it('a bad rating opens a rectification due in the county’s 5 working days across the May Day holiday, tells the resident and records the org’s notice', async () => {
    now = new Date('2026-04-30T02:00:00Z');
    const resident = await ctx.newResident({ name: '赵桂兰' });
    const caseId = await completedCase(resident);
    const rating = await ratings().rateCase(resident, caseId, { level: 1, indicators: { efficiency: 1 }, comment: '跑了三趟' });
    expect(rating.bad).toBe(true);
    // 1–5 May off; 6, 7, 8 May, Saturday 9 May (调休 workday), Monday 11 May.
    expect(rating.rectification).toMatchObject({ state: 'open', orgCode: VILLAGE, workingDays: 5, deadline: '2026-05-11', overdue: false });
    const taskId = rating.rectification!.id;
    expect(
      await count(
        sql`select count(*)::int as n from inbox_messages where account_id = ${resident.accountId} and kind = 'rating.rectification'`,
      ),
    ).toBe(1);
    expect(
      await count(
        sql`select count(*)::int as n from outbox where topic = 'rating.rectification_opened' and payload->>'rectificationId' = ${taskId} and payload->>'orgCode' = ${VILLAGE}`,
      ),
    ).toBe(1);
  });

  it('the org records a callback (callback rate = called back ÷ real-name bad ratings), replies, and the resident re-rates once', async () => {
    now = new Date('2026-05-06T02:00:00Z');
    const resident = await ctx.newResident({ name: '孙丽' });
    const rating = await ratings().rateCase(resident, await completedCase(resident), { level: 2 });
    const taskId = rating.rectification!.id;
    const good = await ratings().rateCase(resident, await completedCase(resident), { level: 4 });
    const before = await ratings().figures(reviewer, VILLAGE);
    expect(before.realNameBad).toBeGreaterThan(before.calledBack);

    const supervisor = await ctx.newStaff('supervisor', COUNTY);
    const outsider = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    expect(await rejection(ratings().recordCallback(outsider, rating.id, { outcome: 'reached' }))).toBe('NOT_FOUND');
    expect(await rejection(ratings().recordCallback(supervisor, rating.id, { outcome: 'reached' }))).toBe('FORBIDDEN');
    expect(await rejection(ratings().recordCallback(reviewer, good.id, { outcome: 'reached' }))).toBe('CONFLICT');
    const called = await ratings().recordCallback(reviewer, rating.id, { outcome: 'reached', note: '已电话联系，说明了材料要求' });
    expect(called.callbacks).toMatchObject([{ outcome: 'reached', note: '已电话联系，说明了材料要求' }]);
    const after = await ratings().figures(reviewer, VILLAGE);
    expect(after.calledBack).toBe(before.calledBack + 1);
    expect(after.callbackRate).toBeCloseTo(after.calledBack / after.realNameBad);
    // Residents see that they were called back, not the org's note.
    expect((await ratings().mine(resident)).find((r) => r.id === rating.id)!.callbacks).toMatchObject([{ outcome: 'reached', note: null }]);

    expect(await rejection(ratings().rerate(resident, taskId, 'satisfied'))).toBe('CONFLICT');
    const replied = await ratings().reply(reviewer, taskId, '已在村务公开栏张贴材料清单');
    expect(replied.rectification).toMatchObject({ state: 'rectified', reply: '已在村务公开栏张贴材料清单' });
    expect(await rejection(ratings().reply(reviewer, taskId, '再答复一次'))).toBe('CONFLICT');
    const other = await ctx.newResident({ name: '周敏' });
    expect(await rejection(ratings().rerate(other, taskId, 'dissatisfied'))).toBe('NOT_FOUND');
    const closed = await ratings().rerate(resident, taskId, 'basically_satisfied');
    expect(closed.rectification).toMatchObject({ state: 'closed', rerating: 'basically_satisfied' });
    expect(await rejection(ratings().rerate(resident, taskId, 'satisfied'))).toBe('CONFLICT');
    expect((await ratings().figures(reviewer, VILLAGE)).rectifiedOnTime).toBeGreaterThanOrEqual(1);
  });

  it('an overdue open task escalates to the org above, once', async () => {
    now = new Date('2026-04-30T02:00:00Z');
    const resident = await ctx.newResident({ name: '钱志强' });
    const rating = await ratings().rateCase(resident, await completedCase(resident), { level: 1 });
    const taskId = rating.rectification!.id;
    // On the deadline (11 May) it is not overdue yet; the day after it is.
    expect((await ratings().escalateOverdue(new Date('2026-05-11T15:00:00Z'))).map((e) => e.rectificationId)).not.toContain(taskId);
    now = new Date('2026-05-12T01:00:00Z');
    const first = await ratings().escalateOverdue(now);
    expect(first.find((e) => e.rectificationId === taskId)).toEqual({ rectificationId: taskId, orgCode: VILLAGE, to: TOWNSHIP });
    expect((await ratings().escalateOverdue(now)).map((e) => e.rectificationId)).not.toContain(taskId);
    const seen = await ratings().getRating(await ctx.newStaff('township_admin', TOWNSHIP), rating.id);
    expect(seen.rectification).toMatchObject({ state: 'escalated', escalatedToCode: TOWNSHIP, overdue: true });
    expect(
      await count(
        sql`select count(*)::int as n from outbox where topic = 'rating.rectification_escalated' and payload->>'rectificationId' = ${taskId}`,
      ),
    ).toBe(1);
    // Late, but the org can still answer; the answer is recorded as late.
    const replied = await ratings().reply(reviewer, taskId, '已整改');
    expect(replied.rectification?.state).toBe('rectified');
    const leaf = (await leaves()).find((l) => l.leaf.event === 'rectification.replied' && l.leaf.rating === rating.id)!.leaf;
    expect(leaf).toMatchObject({ onTime: false, deadline: '2026-05-11' });
  });

  it('an org appeals a rating once; only a supervisor above it decides; the rating and the decision both stay', async () => {
    now = new Date('2026-05-06T02:00:00Z');
    const resident = await ctx.newResident({ name: '吴海燕' });
    const rating = await ratings().rateCase(resident, await completedCase(resident), { level: 1, comment: '乱评' });
    expect(await rejection(ratings().appeal(resident, rating.id, '恶意差评'))).toBe('NOT_FOUND');
    const appealed = await ratings().appeal(reviewer, rating.id, '申请人未按要求提交材料，与办理无关');
    const appealId = appealed.appeal!.id;
    expect(appealed.appeal).toMatchObject({ decision: null });
    expect(await rejection(ratings().appeal(reviewer, rating.id, '再次申诉'))).toBe('ALREADY_EXISTS');

    expect(await rejection(ratings().decideAppeal(reviewer, appealId, { decision: 'overturned' }))).toBe('FORBIDDEN');
    const away = await ctx.newStaff('supervisor', ELSEWHERE);
    expect(await rejection(ratings().decideAppeal(away, appealId, { decision: 'overturned' }))).toBe('NOT_FOUND');
    const supervisor = await ctx.newStaff('supervisor', COUNTY);
    const decided = await ratings().decideAppeal(supervisor, appealId, { decision: 'overturned', note: '经核实属实' });
    expect(decided).toMatchObject({ id: rating.id, level: 1, comment: '乱评', overturned: true });
    expect(decided.appeal).toMatchObject({ decision: 'overturned', reason: '申请人未按要求提交材料，与办理无关' });
    expect(decided.rectification?.state).toBe('closed');
    expect(await rejection(ratings().decideAppeal(supervisor, appealId, { decision: 'upheld' }))).toBe('CONFLICT');
  });

  it('rates an encounter at a window once by its token (pad page, no login); a stranger’s token, an expired one and a second rating are refused', async () => {
    now = new Date('2026-05-06T02:00:00Z');
    const resident = await ctx.newResident({ name: '郑晓红' });
    const stranger = await ctx.newResident({ name: '冯刚' });
    const caseId = await completedCase(resident);
    const encounter = await ratings().openEncounter(reviewer, { orgCode: VILLAGE, channel: 'window', caseId });
    expect(encounter).toMatchObject({ channel: 'window', serviceCode: 'cert.residence', named: true, link: `/rate/${encounter.token}` });
    expect(await rejection(ratings().openEncounter(resident, { orgCode: VILLAGE, channel: 'window', serviceCode: 'cert.residence' }))).toBe(
      'NOT_FOUND',
    );
    const info = await ratings().encounterInfo(encounter.token);
    expect(info.indicators.map((i) => i.zh)).toEqual(['服务效率', '服务水平', '服务态度']);
    expect(info.rated).toBe(false);

    expect(await rejection(ratings().rateEncounter(stranger, encounter.token, { level: 1, via: 'sms' }))).toBe('NOT_FOUND');
    const rated = await ratings().rateEncounter(null, encounter.token, { level: 4, indicators: { serviceAttitude: 5 }, via: 'pad' });
    expect(rated).toMatchObject({ subject: 'encounter', channel: 'window', level: 4, realName: true, caseId: null });
    expect((await ratings().mine(resident)).map((r) => r.id)).toContain(rated.id);
    expect(await rejection(ratings().rateEncounter(null, encounter.token, { level: 5, via: 'pad' }))).toBe('ALREADY_EXISTS');
    // The case itself can still be rated once (一事一评 besides 一次一评).
    expect((await ratings().rateCase(resident, caseId, { level: 5 })).subject).toBe('case');

    // No resident named: an anonymous bad rating opens its task but cannot be called back.
    const walkIn = await ratings().openEncounter(reviewer, { orgCode: VILLAGE, channel: 'window', serviceCode: 'cert.residence' });
    const anonymous = await ratings().rateEncounter(null, walkIn.token, { level: 2, via: 'pad' });
    expect(anonymous).toMatchObject({ realName: false, bad: true, rectification: { state: 'open' } });
    expect(await rejection(ratings().recordCallback(reviewer, anonymous.id, { outcome: 'reached' }))).toBe('CONFLICT');

    const expiring = await ratings().openEncounter(reviewer, { orgCode: VILLAGE, channel: 'kiosk', serviceCode: 'cert.residence' });
    now = new Date(now.getTime() + 16 * DAY);
    expect(await rejection(ratings().rateEncounter(null, expiring.token, { level: 5, via: 'sms' }))).toBe('CONFLICT');
    expect(await rejection(ratings().rateEncounter(null, 'ABCDEFGHJKMN', { level: 5, via: 'sms' }))).toBe('NOT_FOUND');
  });

  it('rates a case once under concurrent attempts: one rating, one task, its two leaves and nothing from the others', async () => {
    now = new Date('2026-05-06T02:00:00Z');
    const resident = await ctx.newResident({ name: '林小梅' });
    const caseId = await completedCase(resident);
    const before = (await leaves()).length;
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => rejection(ratings().rateCase(resident, caseId, { level: 1 }))));
    expect(outcomes.filter((o) => o === 'RESOLVED')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'ALREADY_EXISTS')).toHaveLength(4);
    expect(await count(sql`select count(*)::int as n from ratings where case_id = ${caseId}`)).toBe(1);
    expect(
      await count(sql`select count(*)::int as n from rectifications t join ratings r on r.id = t.rating_id where r.case_id = ${caseId}`),
    ).toBe(1);
    expect((await leaves()).length).toBe(before + 2);
  });

  it('a good rating under concurrent attempts is one row, one leaf and one change to the counts (one statement); the others write nothing', async () => {
    now = new Date('2026-05-06T02:00:00Z');
    const resident = await ctx.newResident({ name: '唐秀兰' });
    const caseId = await completedCase(resident);
    const before = (await leaves()).length;
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => rejection(ratings().rateCase(resident, caseId, { level: 5 }))));
    expect(outcomes.filter((o) => o === 'RESOLVED')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'ALREADY_EXISTS')).toHaveLength(4);
    const [rating] = (await ctx.database.db.execute<{ id: string }>(sql`select id from ratings where case_id = ${caseId}`)).rows;
    const changes = await ctx.database.db.execute<{ add: Record<string, number>; day: string }>(
      sql`select add, day::text as day from rating_count_deltas where rating_id = ${rating!.id}`,
    );
    expect(changes.rows).toEqual([{ add: { ratings: 1, good: 1, bad: 0, realNameBad: 0, rectifications: 0 }, day: '2026-05-06' }]);
    expect((await leaves()).length).toBe(before + 1);
  });

  it('a helper acting for a resident opens a helper encounter naming them, and rates a case for them through the helper channel', async () => {
    now = new Date('2026-05-06T02:00:00Z');
    const resident = await ctx.newResident({ name: '黄大爷' });
    const helper = await ctx.newStaff('helper', VILLAGE);
    await ctx.services.identity.createDelegation(resident, {
      helperUsername: helper.username,
      scopes: ['applications.submit', 'applications.view'],
      validUntil: new Date(now.getTime() + 7 * DAY),
    });
    const acting = await ctx.login({ kind: 'staff', username: helper.username, password: PASSWORD, channel: 'web' }, resident.accountId);
    const input = { orgCode: VILLAGE, channel: 'helper' as const, serviceCode: 'cert.residence' };
    expect(await rejection(ratings().openEncounter(helper, input))).toBe('NOT_FOUND');
    expect(await rejection(ratings().openEncounter(acting, { ...input, orgCode: ctx.otherVillage }))).toBe('NOT_FOUND');
    const encounter = await ratings().openEncounter(acting, input);
    expect(encounter).toMatchObject({ channel: 'helper', named: true });
    // The SMS link reaches the resident, who rates as themself.
    const bySms = await ratings().rateEncounter(resident, encounter.token, { level: 5, indicators: { serviceAttitude: 5 }, via: 'sms' });
    expect(bySms).toMatchObject({ channel: 'sms', realName: true });
    const caseId = await completedCase(resident);
    expect(await ratings().rateCase(acting, caseId, { level: 4 })).toMatchObject({ channel: 'helper', realName: true });
    expect((await ratings().mine(resident)).map((r) => r.id)).toHaveLength(2);
  });

  it('every step is a rating.v1 leaf with org, service, level, channel and an hour; none holds a name, an ID number, an account id or a comment', async () => {
    now = new Date('2026-05-06T02:37:12Z');
    const resident = await ctx.newResident({ name: '何淑芬' });
    const rating = await ratings().rateCase(resident, await completedCase(resident), { level: 2, comment: '态度差' });
    const all = await leaves();
    const rated = all.find((l) => l.leaf.event === 'rated' && l.leaf.rating === rating.id)!;
    expect(rated.leaf).toMatchObject({
      kind: 'rating.v1',
      event: 'rated',
      org: VILLAGE,
      service: 'cert.residence',
      level: 2,
      channel: 'app',
      subject: 'case',
      realName: true,
      at: '2026-05-06T02:00:00Z',
    });
    expect(rated.leaf.event === 'rated' && rated.leaf.rater).toMatch(/^[0-9a-f]{64}$/);
    expect(all.some((l) => l.leaf.event === 'rectification.opened' && l.leaf.rating === rating.id)).toBe(true);
    expect(new Set(all.map((l) => l.leaf.event))).toEqual(
      new Set([
        'rated',
        'rectification.opened',
        'rectification.replied',
        'rectification.rerated',
        'rectification.escalated',
        'callback',
        'appeal.filed',
        'appeal.decided',
      ]),
    );
    const residents = await ctx.database.db.execute<{ id: string }>(
      sql`select distinct account_id as id from ratings where account_id is not null`,
    );
    for (const { text, leaf } of all) {
      expect(leaf.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
      expect(text).not.toContain(resident.residentId);
      expect(text).not.toMatch(/何淑芬|态度差|李秀英|跑了三趟/);
      for (const { id } of residents.rows) expect(text).not.toContain(id);
    }
  });
});
