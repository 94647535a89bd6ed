import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

describe.each(testEngines())('events written with their state change on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  async function eventsOf(topic: string, key: string, value: string) {
    const { rows } = await ctx.database.db.execute<{ payload: Record<string, unknown> }>(
      sql`select payload from outbox where topic = ${topic} and payload->>${key} = ${value} order by id`,
    );
    return rows.map((r) => r.payload);
  }

  it('writes case.decided on every decision path: a grouped approval, a single rejection and completion, a batch', async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await ctx.services.applications.submit(await ctx.newResident(), residence)).case.id);
    const [grouped, rejected, batched] = ids as [string, string, string];

    await ctx.services.applications.act(reviewer, grouped, 'approve');
    await ctx.services.applications.act(reviewer, rejected, 'reject', '材料不全');
    await ctx.services.applications.decideMany(reviewer, { ids: [batched], decision: 'approve' });

    const base = { serviceCode: 'cert.residence', orgCode: VILLAGE };
    expect(await eventsOf('case.decided', 'caseId', grouped)).toEqual([{ caseId: grouped, ...base, state: 'completed' }]);
    expect(await eventsOf('case.decided', 'caseId', rejected)).toEqual([{ caseId: rejected, ...base, state: 'rejected' }]);
    expect(await eventsOf('case.decided', 'caseId', batched)).toEqual([{ caseId: batched, ...base, state: 'completed' }]);
    // A refused second decision writes nothing.
    await expect(ctx.services.applications.act(reviewer, rejected, 'approve')).rejects.toMatchObject({ code: 'ALREADY_DECIDED' });
    expect((await eventsOf('case.decided', 'caseId', rejected)).length).toBe(1);
  });

  it('writes certificate.revoked beside the status change when a certificate is revoked', async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: kase } = await ctx.services.applications.submit(await ctx.newResident(), residence);
    await ctx.services.applications.act(reviewer, kase.id, 'approve');
    const { rows } = await ctx.database.db.execute<{ id: string }>(sql`select id from certificates where case_id = ${kase.id}`);
    const certificateId = rows[0]!.id;
    await ctx.services.certificates.changeStatus(reviewer, certificateId, 'revoked', '信息有误');
    expect(await eventsOf('certificate.status_changed', 'certificateId', certificateId)).toEqual([
      { certificateId, from: 'active', to: 'revoked' },
    ]);
    expect(await eventsOf('certificate.revoked', 'certificateId', certificateId)).toEqual([{ certificateId }]);
  });

  it('writes resident.registered with the registration: ids and codes, no personal data', async () => {
    const resident = await ctx.newResident({ homeOrgCode: VILLAGE });
    expect(await eventsOf('resident.registered', 'accountId', resident.accountId)).toEqual([
      { accountId: resident.accountId, homeOrgCode: VILLAGE },
    ]);
  });
});
