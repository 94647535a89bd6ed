import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { PASSWORD, VILLAGE } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { until } from '../../../test/federation-nodes.ts';
import {
  countRows as count,
  GUANGXI,
  HEBEI,
  startFederation,
  type FederationNode as Node,
  type TestFederation,
} from '../../../test/federation-fixtures.ts';

const residenceForm = { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' };

describe.each(testEngines())('异地代收代办: a hand-over from Hebei to Guangxi through the federation (%s)', (engine) => {
  let hebei: Node;
  let guangxi: Node;

  let federation: TestFederation;
  // Each node keys ID numbers under its own master key (createTestContext draws one per node): the
  // applicant's ID number travels inside the signed message and the handling node keys it itself.
  beforeAll(async () => {
    federation = await startFederation(engine);
    ({ hebei, guangxi } = federation);
  }, 120_000);

  afterAll(() => federation?.close());

  const drainBoth = () => federation.drain();

  it('hands a case over, opens it once in Guangxi even when replayed, and brings the decision back to Hebei', async () => {
    // The applicant is registered in Guangxi (where the case is handled); the clerk works a Hebei window.
    const resident = await guangxi.ctx.newResident();
    const clerk = await hebei.ctx.newStaff('village_reviewer', VILLAGE);
    const outsider = await hebei.ctx.newResident();
    const input = {
      to: GUANGXI,
      serviceCode: 'cert.residence',
      form: residenceForm,
      residentId: resident.residentId,
      materials: [{ name: '户口簿', sha256: 'a'.repeat(64) }],
    };
    await expect(hebei.ctx.services.crossCases.handOver(outsider, input)).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const handed = await hebei.ctx.services.crossCases.handOver(clerk, input);
    expect(handed).toMatchObject({ side: 'sender', peer: GUANGXI, state: 'handed-over', caseId: null });
    expect(handed.applicantMasked).not.toContain(resident.residentId.slice(6, 14));

    await until('the case accepted in Guangxi', async () => {
      await drainBoth();
      return (await hebei.ctx.services.crossCases.get(clerk, handed.id)).state === 'accepted';
    });
    const accepted = await hebei.ctx.services.crossCases.get(clerk, handed.id);
    const caseId = accepted.caseId!;
    const opened = await guangxi.ctx.services.applications.getCase(resident, caseId);
    expect(opened).toMatchObject({ serviceCode: 'cert.residence', state: 'submitted' });

    // The hand-over delivered again (a worker that died before it marked the event): answered from the first answer.
    await hebei.ctx.database.db.execute(
      sql`update federation_messages set status = 'pending' where id = ${handed.handoverMessageId}::uuid and direction = 'out'`,
    );
    await hebei.ctx.database.db.execute(
      sql`update outbox set processed_at = null, available_at = now() - interval '1 second'
          where topic = 'federation.message' and payload->>'messageId' = ${handed.handoverMessageId}`,
    );
    await hebei.ctx.database.db.execute(sql`delete from event_handled where handler = 'federation.deliver'`);
    await until('the replay answered', async () => {
      await drainBoth();
      return (await hebei.ctx.services.federation.receipt('out', handed.handoverMessageId))?.status === 'delivered';
    });
    expect(await count(guangxi, sql`select count(*) as n from cases where applicant_id = ${resident.accountId}::uuid`)).toBe(1);
    expect(await count(guangxi, sql`select count(*) as n from federation_cases where side = 'receiver'`)).toBe(1);

    // Guangxi approves (a residence certificate completes the case at once); Hebei sees the decision.
    const reviewer = await guangxi.ctx.newStaff('village_reviewer', VILLAGE);
    await guangxi.ctx.services.applications.act(reviewer, caseId, 'approve', '异地代收，材料齐全');
    await until('the decision in Hebei', async () => {
      await drainBoth();
      return (await hebei.ctx.services.crossCases.get(clerk, handed.id)).state === 'decided';
    });
    expect(await hebei.ctx.services.crossCases.get(clerk, handed.id)).toMatchObject({
      state: 'decided',
      caseId,
      decision: 'completed',
      reason: '异地代收，材料齐全',
      channel: 'window',
    });

    // Both ledgers hold the hand-over and the answers (digests only: no form, no ID).
    for (const [node, kind, types] of [
      [hebei, 'federation.sent', ['case.handover']],
      [hebei, 'federation.received', ['case.accepted', 'case.decided']],
      [guangxi, 'federation.received', ['case.handover']],
      [guangxi, 'federation.sent', ['case.accepted', 'case.decided']],
    ] as const) {
      const { rows } = await node.ctx.database.db.execute<{ data: string }>(
        sql`select convert_from(data, 'UTF8') as data from ledger_queue where kind = ${kind}
            union all select convert_from(data, 'UTF8') from ledger_entries where kind = ${kind}`,
      );
      const seen = rows.map((r) => JSON.parse(r.data) as { type: string }).map((l) => l.type);
      for (const t of types) expect(seen).toContain(t);
      for (const r of rows) {
        expect(r.data).not.toContain('塔元庄');
        expect(r.data).not.toContain(resident.residentId);
      }
    }
  });

  it('takes the hand-over at the window over HTTP and shows it to window staff, not to another resident', async () => {
    const token = async (payload: Record<string, unknown>) =>
      (await hebei.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-auth-mode': 'bearer' }, payload })).json<{
        token: string;
      }>().token;
    const resident = await guangxi.ctx.newResident();
    const clerk = await hebei.ctx.newStaff('township_admin', '130123100');
    const clerkToken = await token({ kind: 'staff', username: clerk.username, password: PASSWORD, channel: 'web' });
    const body = { to: GUANGXI, serviceCode: 'cert.residence', form: residenceForm, residentId: resident.residentId };

    const outsider = await hebei.ctx.newResident();
    const outsiderToken = await token({ kind: 'resident', residentIdOrPhone: outsider.residentId, password: PASSWORD, channel: 'web' });
    const refused = await hebei.app.inject({
      method: 'POST',
      url: '/api/federation/cases',
      headers: { authorization: `Bearer ${outsiderToken}`, 'accept-language': 'en' },
      payload: body,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });

    const created = await hebei.app.inject({
      method: 'POST',
      url: '/api/federation/cases',
      headers: { authorization: `Bearer ${clerkToken}` },
      payload: body,
    });
    expect(created.statusCode).toBe(201);
    const handed = created.json<{ id: string; state: string; applicantMasked: string }>();
    expect(handed.state).toBe('handed-over');
    expect(created.body).not.toContain(resident.residentId);

    const seen = await hebei.app.inject({ url: `/api/federation/cases/${handed.id}`, headers: { authorization: `Bearer ${clerkToken}` } });
    expect(seen.json()).toMatchObject({ id: handed.id, side: 'sender', peer: GUANGXI });
    const hidden = await hebei.app.inject({
      url: `/api/federation/cases/${handed.id}`,
      headers: { authorization: `Bearer ${outsiderToken}` },
    });
    expect(hidden.statusCode).toBe(404);
    await until('accepted', async () => {
      await drainBoth();
      return (await hebei.ctx.services.crossCases.get(clerk, handed.id)).state === 'accepted';
    });
  });
});

describe.each(testEngines())('a hand-over to a province this node has not seen in its directory yet (%s)', (engine) => {
  let federation: TestFederation;
  // Both provinces approved at the hub, but Hebei has not refreshed its copy of the directory since
  // (as a node just started, or one whose last refresh came before Guangxi joined).
  beforeAll(async () => {
    federation = await startFederation(engine, { approve: false });
    await federation.hub.ctx.services.federation.directory.approve(HEBEI);
    await federation.hub.ctx.services.federation.directory.approve(GUANGXI);
    await federation.guangxi.ctx.services.federation.directory.refresh();
  }, 120_000);

  afterAll(() => federation?.close());

  it('asks the hub on the miss and hands the case over, instead of refusing the member as unknown', async () => {
    const { hebei, guangxi } = federation;
    expect(await hebei.ctx.services.federation.lookup.find(GUANGXI)).toBeNull();
    const resident = await guangxi.ctx.newResident();
    const clerk = await hebei.ctx.newStaff('village_reviewer', VILLAGE);
    const handed = await hebei.ctx.services.crossCases.handOver(clerk, {
      to: GUANGXI,
      serviceCode: 'cert.residence',
      form: residenceForm,
      residentId: resident.residentId,
    });
    expect(handed).toMatchObject({ side: 'sender', peer: GUANGXI, state: 'handed-over' });
    expect(await hebei.ctx.services.federation.lookup.find(GUANGXI)).toMatchObject({ memberId: GUANGXI });
    await until('the case accepted in Guangxi', async () => {
      await federation.drain();
      return (await hebei.ctx.services.crossCases.get(clerk, handed.id)).state === 'accepted';
    });

    // A member the hub does not know is still refused, and nothing is recorded for it.
    const stranger = 'CN/GOV/650000/yiban';
    await expect(
      hebei.ctx.services.crossCases.handOver(clerk, {
        to: stranger,
        serviceCode: 'cert.residence',
        form: residenceForm,
        residentId: resident.residentId,
      }),
    ).rejects.toMatchObject({ code: 'FEDERATION_UNKNOWN_MEMBER' });
    expect(await count(hebei, sql`select count(*) as n from federation_cases where peer = ${stranger}`)).toBe(0);
  });
});
