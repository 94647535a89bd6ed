import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { PASSWORD, VILLAGE, freshResidentId } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { until } from '../../../test/federation-nodes.ts';
import {
  GUANGXI,
  HEBEI,
  HUB,
  startFederation,
  type FederationNode as Node,
  type TestFederation,
} from '../../../test/federation-fixtures.ts';

const residenceForm = { address: '广西壮族自治区南宁市青秀区民族大道100号', residentSince: '2019-03-01', purpose: 'school' };

describe.each(testEngines())('全程网办 and 异地代收 between nodes with different master keys (%s)', (engine) => {
  let hebei: Node;
  let guangxi: Node;

  let federation: TestFederation;
  // Every node has its OWN master key (createTestContext draws one): the ID number travels in the signed message.
  beforeAll(async () => {
    federation = await startFederation(engine);
    ({ hebei, guangxi } = federation);
  }, 120_000);

  afterAll(() => federation?.close());

  const drainBoth = () => federation.drain();
  const token = async (node: Node, payload: Record<string, unknown>) =>
    (await node.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-auth-mode': 'bearer' }, payload })).json<{
      token: string;
    }>().token;

  it('the nodes key ID numbers differently', () => {
    const id = freshResidentId();
    expect(hebei.ctx.services.identity.residentKey(id)).not.toBe(guangxi.ctx.services.identity.residentKey(id));
  });

  it('applies online at home for a Guangxi service; Guangxi registers the applicant, decides, and the certificate lands in the Hebei wallet', async () => {
    const resident = await hebei.ctx.newResident({ name: '王芳' });
    const bearer = {
      authorization: `Bearer ${await token(hebei, { kind: 'resident', residentIdOrPhone: resident.residentId, password: PASSWORD, channel: 'web' })}`,
    };
    expect(await guangxi.ctx.services.identity.findResidentByResidentId(resident.residentId)).toBeNull();

    // Guangxi's directory entry lists its online services; Hebei's resident sees them.
    const offers = (await hebei.app.inject({ url: '/api/federation/offers', headers: bearer })).json<
      { memberId: string; services: { code: string }[] }[]
    >();
    const offer = offers.find((o) => o.memberId === GUANGXI);
    expect(offer?.services.map((s) => s.code)).toContain('cert.residence');
    expect(offers.map((o) => o.memberId)).not.toContain(HEBEI);
    expect(offers.map((o) => o.memberId)).not.toContain(HUB);

    const body = { to: GUANGXI, serviceCode: 'cert.residence', form: residenceForm, orgCode: VILLAGE };
    const apply = (key: string | null, payload: Record<string, unknown> = body) =>
      hebei.app.inject({
        method: 'POST',
        url: '/api/federation/applications',
        headers: { ...bearer, ...(key ? { 'idempotency-key': key } : {}) },
        payload,
      });
    expect((await apply(null)).statusCode).toBe(400);
    const notOffered = await apply('apply-not-offered-1', { ...body, serviceCode: 'no.such.service' });
    expect(notOffered.statusCode).toBe(422);
    expect(notOffered.json()).toMatchObject({ error: { code: 'FEDERATION_CASE_REFUSED' } });

    const first = await apply('apply-online-0001');
    expect(first.statusCode).toBe(201);
    const applied = first.json<{ id: string; channel: string; state: string; applicantMasked: string }>();
    expect(applied).toMatchObject({ channel: 'online', state: 'handed-over', side: 'sender', peer: GUANGXI });
    expect(first.body).not.toContain(resident.residentId);
    const again = await apply('apply-online-0001');
    expect(again.json<{ id: string }>().id).toBe(applied.id);
    expect((await apply('apply-online-0001', { ...body, form: { ...residenceForm, purpose: 'work' } })).statusCode).toBe(422);
    // The clerk's side of the same HTTP surface: a resident cannot hand over at a window.
    expect(
      (
        await hebei.app.inject({
          method: 'POST',
          url: '/api/federation/cases',
          headers: bearer,
          payload: { ...body, residentId: resident.residentId },
        })
      ).statusCode,
    ).toBe(403);

    await until('the case accepted in Guangxi', async () => {
      await drainBoth();
      return (await hebei.ctx.services.crossCases.get(resident, applied.id)).state === 'accepted';
    });
    // Guangxi keyed the ID number under its own key and registered the resident as a federated login would.
    const registered = await guangxi.ctx.services.identity.findResidentByResidentId(resident.residentId);
    expect(registered).toMatchObject({ name: '王芳', residentIdMasked: applied.applicantMasked });
    const { caseId } = await hebei.ctx.services.crossCases.get(resident, applied.id);
    const { rows } = await guangxi.ctx.database.db.execute<{ applicant_id: string; channel: string }>(
      sql`select applicant_id::text, channel from federation_cases where case_id = ${caseId}::uuid`,
    );
    expect(rows[0]).toMatchObject({ applicant_id: registered!.accountId, channel: 'online' });

    const reviewer = await guangxi.ctx.newStaff('village_reviewer', VILLAGE);
    await guangxi.ctx.services.applications.act(reviewer, caseId!, 'approve', '全程网办，材料齐全');
    await until('the decision in Hebei', async () => {
      await drainBoth();
      return (await hebei.ctx.services.crossCases.get(resident, applied.id)).state === 'decided';
    });
    const decided = await hebei.ctx.services.crossCases.get(resident, applied.id);
    expect(decided).toMatchObject({ decision: 'completed', reason: '全程网办，材料齐全' });
    expect(decided.certificateId).toMatch(/^[0-9a-f-]{36}$/);
    expect(decided.certificate?.issuerName).toBeTruthy();

    // The resident follows it on Hebei; the wallet lists the Guangxi certificate, and Hebei verifies its seal with the national trust list.
    const mine = (await hebei.app.inject({ url: '/api/federation/cases', headers: bearer })).json<{ id: string; state: string }[]>();
    expect(mine).toEqual([expect.objectContaining({ id: applied.id, state: 'decided', channel: 'online', reason: '全程网办，材料齐全' })]);
    const wallet = (await hebei.app.inject({ url: '/api/federation/certificates', headers: bearer })).json<
      { crossCaseId: string; identifier: string; bundle: Record<string, unknown> }[]
    >();
    expect(wallet).toHaveLength(1);
    expect(wallet[0]).toMatchObject({ crossCaseId: applied.id, identifier: decided.certificate!.identifier, peer: GUANGXI });
    await hebei.ctx.services.federation.directory.refresh();
    const verified = await hebei.app.inject({ method: 'POST', url: '/api/verify', payload: { bundle: wallet[0]!.bundle } });
    const checks = verified.json<{ checks: { check: string; result: string }[] }>().checks;
    expect(checks.find((c) => c.check === 'issuer')).toMatchObject({ result: 'pass' });
    expect(checks.find((c) => c.check === 'signature')).toMatchObject({ result: 'pass' });
    const signature = String(wallet[0]!.bundle.signature);
    const tampered = { ...wallet[0]!.bundle, signature: (signature.startsWith('M') ? 'N' : 'M') + signature.slice(1) };
    const refused = await hebei.app.inject({ method: 'POST', url: '/api/verify', payload: { bundle: tampered } });
    expect(refused.json<{ verdict: string }>().verdict).toBe('INVALID');

    // Another resident of Hebei sees none of it.
    const other = await hebei.ctx.newResident();
    await expect(hebei.ctx.services.crossCases.get(other, applied.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await hebei.ctx.services.crossCases.list(other)).toEqual([]);

    // The ledger leaves carry digests only; the ID number is nowhere in them.
    for (const node of [hebei, guangxi]) {
      const { rows: leaves } = await node.ctx.database.db.execute<{ data: string }>(
        sql`select convert_from(data, 'UTF8') as data from ledger_queue where kind like 'federation.%'
            union all select convert_from(data, 'UTF8') from ledger_entries where kind like 'federation.%'`,
      );
      expect(leaves.length).toBeGreaterThan(0);
      for (const l of leaves) expect(l.data).not.toContain(resident.residentId);
    }
  });

  it('a window hand-over finds a resident Guangxi knows under its own key, and refuses an unknown one sent without a name', async () => {
    const known = await guangxi.ctx.newResident({ name: '黄海' });
    const clerk = await hebei.ctx.newStaff('village_reviewer', VILLAGE);
    const input = { to: GUANGXI, serviceCode: 'cert.residence', form: residenceForm, residentId: known.residentId, applicantName: '黄海' };
    const handed = await hebei.ctx.services.crossCases.handOver(clerk, input, 'window-retry-0001');
    // The window's retry (a lost answer) is the first hand-over; the same key with another applicant is refused.
    expect((await hebei.ctx.services.crossCases.handOver(clerk, input, 'window-retry-0001')).id).toBe(handed.id);
    await expect(
      hebei.ctx.services.crossCases.handOver(clerk, { ...input, residentId: freshResidentId() }, 'window-retry-0001'),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    const stranger = freshResidentId();
    const unnamed = await hebei.ctx.services.crossCases.handOver(clerk, {
      to: GUANGXI,
      serviceCode: 'cert.residence',
      form: residenceForm,
      residentId: stranger,
      orgCode: VILLAGE,
    });
    await until('both answered', async () => {
      await drainBoth();
      const states = await Promise.all(
        [handed.id, unnamed.id].map(async (id) => (await hebei.ctx.services.crossCases.get(clerk, id)).state),
      );
      return states[0] === 'accepted' && states[1] === 'refused';
    });
    const accepted = await hebei.ctx.services.crossCases.get(clerk, handed.id);
    // The same account Guangxi registered: its case is the resident's own there.
    expect(await guangxi.ctx.services.applications.getCase(known, accepted.caseId!)).toMatchObject({ serviceCode: 'cert.residence' });
    const refusedCase = await hebei.ctx.services.crossCases.get(clerk, unnamed.id);
    expect(refusedCase.decision).toBe('refused');
    expect(refusedCase.reason).toContain('未在本省登记');
    expect(await guangxi.ctx.services.identity.findResidentByResidentId(stranger)).toBeNull();

    // The window's list shows both hand-overs with their states.
    const listed = await hebei.ctx.services.crossCases.list(clerk);
    expect(listed.filter((c) => c.id === handed.id)).toHaveLength(1);
    expect(listed.map((c) => c.id)).toEqual(expect.arrayContaining([handed.id, unnamed.id]));
    expect(listed.every((c) => c.channel === 'window' && c.side === 'sender')).toBe(true);
  });
});
