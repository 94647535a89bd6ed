import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { PASSWORD, VILLAGE } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { until } from '../../../test/federation-nodes.ts';
import { GUANGXI, HEBEI, startFederation, type FederationNode as Node, type TestFederation } from '../../../test/federation-fixtures.ts';
import type { Principal } from '../identity/index.ts';

const ADDRESS = '河北省石家庄市正定县正定镇塔元庄村';

async function leaves(node: Node, prefix: string): Promise<{ kind: string; data: string }[]> {
  const { rows } = await node.ctx.database.db.execute<{ kind: string; data: string }>(
    sql`select kind, convert_from(data, 'UTF8') as data from ledger_queue where kind like ${prefix + '%'}
        union all select kind, convert_from(data, 'UTF8') from ledger_entries where kind like ${prefix + '%'}`,
  );
  return rows;
}

describe.each(testEngines())('evidence across provinces: a Guangxi case uses a Hebei certificate (%s)', (engine) => {
  let hebei: Node;
  let guangxi: Node;
  let hebeiReviewer: Principal;
  let guangxiReviewer: Principal;

  let federation: TestFederation;
  // Each node keeps its own master key: the ID number travels in the signed message and B keys it under its own key.
  beforeAll(async () => {
    federation = await startFederation(engine);
    ({ hebei, guangxi } = federation);
    hebeiReviewer = await hebei.ctx.newStaff('village_reviewer', VILLAGE);
    guangxiReviewer = await guangxi.ctx.newStaff('village_reviewer', VILLAGE);
  }, 120_000);

  afterAll(() => federation?.close());

  const drainBoth = async () => {
    await guangxi.ctx.services.events.drain();
    await hebei.ctx.services.events.drain();
  };
  const evidence = () => guangxi.ctx.services.crossEvidence;

  /** One person registered on both nodes (Hebei-born, now applying in Guangxi), with a case in Guangxi; a residence proof in Hebei if asked. */
  async function person(options: { proof: boolean; name?: string }) {
    const name = options.name ?? '赵丽';
    const inHebei = await hebei.ctx.newResident({ name });
    await guangxi.ctx.services.identity.registerResident({
      name,
      residentId: inHebei.residentId,
      phone: inHebei.phone,
      password: PASSWORD,
      homeOrgCode: VILLAGE,
    });
    const inGuangxi = {
      ...(await guangxi.ctx.login({ kind: 'resident', residentIdOrPhone: inHebei.residentId, password: PASSWORD, channel: 'app' })),
      residentId: inHebei.residentId,
    };
    if (options.proof) {
      const { case: proof } = await hebei.ctx.services.applications.submit(inHebei, {
        serviceCode: 'cert.residence',
        form: { address: ADDRESS, residentSince: '2015-05-01', purpose: 'school' },
      });
      expect((await hebei.ctx.services.applications.act(hebeiReviewer, proof.id, 'approve')).state).toBe('completed');
      await hebei.ctx.services.ledger.sequenceNow();
    }
    const { case: kase } = await guangxi.ctx.services.applications.submit(inGuangxi, {
      serviceCode: 'cert.residence',
      form: { address: '广西壮族自治区南宁市', residentSince: '2020-03-01', purpose: 'school' },
    });
    return { inHebei, inGuangxi, caseId: kase.id };
  }

  const settled = async (resident: Principal, id: string, state: string) =>
    until(`evidence ${state}`, async () => {
      await drainBoth();
      return (await evidence().preview(resident, id)).state === state;
    });

  it('publishes the e-licence library in the directory, and finds Hebei by the type and the ID number’s region', async () => {
    const directory = await guangxi.ctx.services.federation.directory.current();
    expect(directory?.members.find((m) => m.memberId === HEBEI)?.datasets).toContain('licence.residence');
    const { inGuangxi, caseId } = await person({ proof: true });
    const offered = await evidence().offeredTypes(inGuangxi);
    expect(offered.find((o) => o.evidenceType === 'residence')?.providers).toEqual([{ memberId: HEBEI, name: '河北政务服务网' }]);
    const asked = await evidence().request(inGuangxi, { caseId, evidenceType: 'residence' });
    expect(asked).toMatchObject({ provider: HEBEI, state: 'requested', content: null });
    await expect(evidence().request(inGuangxi, { caseId, evidenceType: 'no_such_type' })).rejects.toMatchObject({
      code: 'EVIDENCE_PROVIDER_NOT_FOUND',
    });
  });

  it('previews, consents once (twice is the same), attaches to the case for its staff, and records digests only', async () => {
    const { inGuangxi, caseId } = await person({ proof: true });
    const key = `ev-${caseId}`;
    const asked = await evidence().request(inGuangxi, { caseId, evidenceType: 'residence', from: HEBEI }, key);
    // A retry with the key is the same request; another body under it is refused.
    expect((await evidence().request(inGuangxi, { caseId, evidenceType: 'residence', from: HEBEI }, key)).id).toBe(asked.id);
    await expect(evidence().request(inGuangxi, { caseId, evidenceType: 'kinship', from: HEBEI }, key)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    await settled(inGuangxi, asked.id, 'pending_preview');

    // Pending preview: the resident sees what it says, who issued it and how it verified; the case's staff see nothing yet.
    const preview = await evidence().preview(inGuangxi, asked.id);
    expect(preview.verification?.verdict).toBe('VALID');
    expect(preview.content).toMatchObject({ holderName: '赵丽', typeName: { zh: '居住证明' } });
    expect(preview.content?.issuerName).toContain('塔元庄');
    expect(preview.content?.fields).toContainEqual({ name: 'address', value: ADDRESS });
    expect(JSON.stringify(preview)).not.toContain(inGuangxi.residentId);
    expect(preview.verification?.checks.find((c) => c.check === 'issuer')?.result).toBe('pass');
    expect(preview.verification?.checks.find((c) => c.check === 'status')?.result).toBe('pass');
    // The inclusion proof checked against Hebei's log key from the directory.
    expect(preview.verification?.checks.find((c) => c.check === 'ledger')).toMatchObject({ result: 'pass' });
    expect(await evidence().attachedToCase(guangxiReviewer, caseId)).toEqual([]);

    // Another resident of Guangxi can neither preview nor consent (404), nor can staff (403).
    const other = await guangxi.ctx.newResident();
    await expect(evidence().preview(other, asked.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(evidence().consent(other, asked.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(evidence().preview(guangxiReviewer, asked.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const first = await evidence().consent(inGuangxi, asked.id);
    const again = await evidence().consent(inGuangxi, asked.id);
    expect(first.state).toBe('attached');
    expect(again).toMatchObject({ id: asked.id, state: 'attached', digest: first.digest });
    await expect(evidence().refuse(inGuangxi, asked.id)).rejects.toMatchObject({ code: 'EVIDENCE_NOT_PENDING' });
    const attached = await evidence().attachedToCase(guangxiReviewer, caseId);
    expect(attached).toHaveLength(1);
    expect(attached[0]?.content?.fields).toContainEqual({ name: 'address', value: ADDRESS });

    // Each step a leaf on Guangxi, what was provided a leaf on Hebei: ids and digests, no personal data.
    const mine = (await leaves(guangxi, 'evidence.')).filter((l) => l.data.includes(asked.id));
    expect(mine.map((l) => l.kind).sort()).toEqual(['evidence.consented', 'evidence.received', 'evidence.requested']);
    const provided = (await leaves(hebei, 'evidence.')).filter((l) => l.data.includes(caseId));
    expect(provided.map((l) => l.kind)).toEqual(['evidence.provided']);
    for (const l of [...mine, ...provided]) {
      expect(l.data).not.toContain(inGuangxi.residentId);
      expect(l.data).not.toContain('赵丽');
      expect(l.data).not.toContain('塔元庄');
    }
    expect(JSON.parse(provided[0]!.data)).toMatchObject({ digest: first.digest });
  });

  it('a refusal deletes the evidence and it is never attached', async () => {
    const { inGuangxi, caseId } = await person({ proof: true, name: '钱进' });
    const asked = await evidence().request(inGuangxi, { caseId, evidenceType: 'residence' });
    await settled(inGuangxi, asked.id, 'pending_preview');
    const refused = await evidence().refuse(inGuangxi, asked.id);
    expect(refused).toMatchObject({ state: 'refused', content: null });
    expect((await evidence().refuse(inGuangxi, asked.id)).state).toBe('refused');
    await expect(evidence().consent(inGuangxi, asked.id)).rejects.toMatchObject({ code: 'EVIDENCE_NOT_PENDING' });
    const { rows } = await guangxi.ctx.database.db.execute<{ document: unknown }>(
      sql`select document from federation_evidence where id = ${asked.id}::uuid`,
    );
    expect(rows[0]?.document).toBeNull();
    expect(await evidence().attachedToCase(guangxiReviewer, caseId)).toEqual([]);
    expect((await leaves(guangxi, 'evidence.refused')).some((l) => l.data.includes(asked.id))).toBe(true);
  });

  it('B has no such certificate: the request ends as none', async () => {
    const { inGuangxi, caseId } = await person({ proof: false });
    const asked = await evidence().request(inGuangxi, { caseId, evidenceType: 'residence' });
    await settled(inGuangxi, asked.id, 'none');
    expect(await evidence().preview(inGuangxi, asked.id)).toMatchObject({ state: 'none', content: null });
    await expect(evidence().consent(inGuangxi, asked.id)).rejects.toMatchObject({ code: 'EVIDENCE_NOT_PENDING' });
    expect((await evidence().listForCase(inGuangxi, caseId)).map((e) => e.state)).toEqual(['none']);
  });

  it('a tampered certificate does not verify against the national trust list: refused and deleted', async () => {
    const { inHebei, inGuangxi, caseId } = await person({ proof: true, name: '孙敏' });
    const asked = await evidence().request(inGuangxi, { caseId, evidenceType: 'residence' });
    // Before Guangxi delivers the request, a response with an altered holder name arrives, signed by Hebei.
    const real = await hebei.ctx.services.certificates.licenceBundle(inHebei.accountId, 'residence');
    const forged = { ...real!, bundle: { ...real!.bundle, payload: real!.bundle.payload.replace('孙敏', '孙明') } };
    await hebei.ctx.services.federation.sendNow(GUANGXI, 'evidence.response', { requestRef: asked.id, status: 'found', document: forged });
    // Applied (its delivery retried if the first attempt failed) and verified: refused.
    await settled(inGuangxi, asked.id, 'invalid');
    // A second answer, genuine this time: the first answer counts.
    await hebei.ctx.services.federation.sendNow(GUANGXI, 'evidence.response', { requestRef: asked.id, status: 'found', document: real });
    const seen = await evidence().preview(inGuangxi, asked.id);
    expect(seen).toMatchObject({ state: 'invalid', content: null, verification: { verdict: 'INVALID' } });
    expect(seen.reason).toContain('BAD_SIGNATURE');
    await expect(evidence().consent(inGuangxi, asked.id)).rejects.toMatchObject({ code: 'EVIDENCE_NOT_PENDING' });
    // Hebei's genuine answer, arriving later, changes nothing.
    await drainBoth();
    await drainBoth();
    expect((await evidence().preview(inGuangxi, asked.id)).state).toBe('invalid');
  });

  it('over HTTP: the resident asks with an Idempotency-Key; staff may not ask; errors carry stable codes', async () => {
    const { inGuangxi, caseId } = await person({ proof: true, name: '李华' });
    const token = async (payload: Record<string, unknown>) =>
      (await guangxi.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-auth-mode': 'bearer' }, payload })).json<{
        token: string;
      }>().token;
    const mine = await token({ kind: 'resident', residentIdOrPhone: inGuangxi.residentId, password: PASSWORD, channel: 'web' });
    const post = (auth: string, key: string, payload: Record<string, unknown>) =>
      guangxi.app.inject({
        method: 'POST',
        url: '/api/federation/evidence',
        headers: { authorization: `Bearer ${auth}`, 'idempotency-key': key, 'accept-language': 'en' },
        payload,
      });
    const first = await post(mine, 'http-1', { caseId, evidenceType: 'residence' });
    expect(first.statusCode).toBe(202);
    const second = await post(mine, 'http-1', { caseId, evidenceType: 'residence' });
    expect(second.json<{ id: string }>().id).toBe(first.json<{ id: string }>().id);
    expect(first.body).not.toContain(inGuangxi.residentId);

    const reviewer = await guangxi.ctx.newStaff('village_reviewer', VILLAGE);
    const staff = await token({ kind: 'staff', username: reviewer.username, password: PASSWORD, channel: 'web' });
    expect((await post(staff, 'http-2', { caseId, evidenceType: 'residence' })).json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const bad = await post(mine, 'http-3', { caseId, evidenceType: 'Residence!' });
    expect(bad.statusCode).toBe(400);
    const none = await post(mine, 'http-4', { caseId, evidenceType: 'kinship', from: 'CN/GOV/440000/yiban' });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ error: { code: 'EVIDENCE_PROVIDER_NOT_FOUND' } });

    const other = await guangxi.ctx.newResident();
    const otherToken = await token({ kind: 'resident', residentIdOrPhone: other.residentId, password: PASSWORD, channel: 'web' });
    const id = first.json<{ id: string }>().id;
    const hidden = await guangxi.app.inject({ url: `/api/federation/evidence/${id}`, headers: { authorization: `Bearer ${otherToken}` } });
    expect(hidden.statusCode).toBe(404);
    const notTheirs = await post(otherToken, 'http-5', { caseId, evidenceType: 'residence' });
    expect(notTheirs.statusCode).toBe(404);
  });
});
