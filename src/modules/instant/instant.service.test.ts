import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { systemPrincipal, type Principal } from '../identity/index.ts';
import { seedDatasets } from '../sharing/sharing.seed.ts';
import { RESIDENCE_PROOF_RULE, seedInstantApprovals } from './instant.seed.ts';

const REGISTER = 'ps.household_register';
const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

describe.each(testEngines())('秒批: residence proofs decided from the household register on %s', (engine) => {
  let ctx: TestContext;
  let officer: Principal;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    await seedInstantApprovals(ctx.services);
    // Again: nothing new (one grant per org, one version).
    await seedInstantApprovals(ctx.services);
    officer = await ctx.newStaff('village_reviewer', VILLAGE);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  async function residentWithRegister(address: string | null) {
    const resident = await ctx.newResident({ homeOrgCode: VILLAGE });
    if (address !== null)
      await ctx.services.sharingAdmin.upsertRecords(REGISTER, [{ residentId: resident.residentId, data: { name: '测试居民', address } }]);
    return resident;
  }

  async function count(table: 'sharing_exchanges' | 'rule_decisions' | 'certificates', caseId: string): Promise<number> {
    const { rows } = await ctx.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from ${sql.identifier(table)} where case_id = ${caseId}`,
    );
    return rows[0]!.n;
  }

  it('seeds one version in force and a law-based grant for the county and each of its villages', async () => {
    const { rows } = await ctx.database.db.execute<{ n: number; consent: boolean }>(
      sql`select count(*)::int as n, bool_or(consent_required) as consent from sharing_grants where purpose = ${RESIDENCE_PROOF_RULE}`,
    );
    expect(rows[0]!.n).toBeGreaterThan(100);
    expect(rows[0]!.consent).toBe(false);
    expect(await ctx.services.rules.activeInputs(RESIDENCE_PROOF_RULE)).toMatchObject({ version: 1, purpose: RESIDENCE_PROOF_RULE });
  });

  it('approves a case whose register address is in the county within the drain, with its certificate, the system actor and the rule named', async () => {
    const resident = await residentWithRegister('河北省石家庄市正定县正定镇塔元庄村');
    const started = performance.now();
    const { case: kase } = await ctx.services.applications.submit(resident, residence);
    await ctx.services.events.drain();
    const seconds = (performance.now() - started) / 1000;
    console.log(`秒批 on ${engine}: submit to certificate in ${seconds.toFixed(3)} s`);

    const detail = await ctx.services.applications.getCase(officer, kase.id);
    expect(detail.state).toBe('completed');
    expect(await count('certificates', kase.id)).toBe(1);
    const approve = detail.events.find((e) => e.action === 'approve')!;
    expect(approve.reason).toContain(`${RESIDENCE_PROOF_RULE} v1`);
    const village = (await ctx.services.orgs.getOrg(VILLAGE))!;
    const rule = systemPrincipal({ actor: `rule:${RESIDENCE_PROOF_RULE}`, at: { orgCode: VILLAGE, orgPath: village.path, actions: [] } });
    expect(approve.actorId).toBe(rule.accountId);
    expect(detail.ruleDecisions).toEqual([
      expect.objectContaining({ rule: RESIDENCE_PROOF_RULE, version: 1, outcome: 'eligible', failed: [], missing: [], unavailable: [] }),
    ]);
    const [input] = detail.ruleDecisions![0]!.inputs;
    expect(input).toMatchObject({ dataset: REGISTER, field: 'address' });
    expect(input!.digest).toMatch(/^[0-9a-f]{64}$/);
    // The resident sees the decision, not the staff trace.
    expect((await ctx.services.applications.getCase(resident, kase.id)).ruleDecisions).toBeUndefined();

    // The event again (a worker that died after the work): no second exchange, decision or certificate.
    const { rows } = await ctx.database.db.execute<{ id: number; payload: Record<string, unknown> }>(
      sql`select id, payload from outbox where topic = 'case.submitted' and payload->>'caseId' = ${kase.id}`,
    );
    expect(rows).toHaveLength(1);
    const handler = ctx.services.events.handlers().find((h) => h.name === 'instant.approve')!;
    const event = { id: Number(rows[0]!.id), topic: 'case.submitted', payload: rows[0]!.payload, attempts: 2, createdAt: new Date() };
    await handler.handle(event, { markHandled: async () => undefined });
    await handler.handle(event, { markHandled: async () => undefined });
    expect(await count('sharing_exchanges', kase.id)).toBe(1);
    expect(await count('rule_decisions', kase.id)).toBe(1);
    expect(await count('certificates', kase.id)).toBe(1);
  });

  it('leaves a case without a register record for a person, with the trace saying what is missing', async () => {
    const resident = await residentWithRegister(null);
    const { case: kase } = await ctx.services.applications.submit(resident, residence);
    await ctx.services.events.drain();
    const detail = await ctx.services.applications.getCase(officer, kase.id);
    expect(detail.state).toBe('submitted');
    expect(detail.ruleDecisions).toEqual([expect.objectContaining({ outcome: 'undetermined', missing: ['address'], failed: [] })]);
    expect(await count('certificates', kase.id)).toBe(0);

    // Returned and resubmitted: case.submitted again, the version's decision stands, a person decides.
    await ctx.services.applications.act(officer, kase.id, 'return', '请补充材料');
    await ctx.services.applications.applicantAction(resident, kase.id, 'resubmit', residence.form);
    await ctx.services.events.drain();
    const { rows } = await ctx.database.db.execute(
      sql`select id from outbox where topic = 'case.submitted' and payload->>'caseId' = ${kase.id}`,
    );
    expect(rows).toHaveLength(2);
    expect((await ctx.services.applications.getCase(officer, kase.id)).state).toBe('submitted');
    expect(await count('rule_decisions', kase.id)).toBe(1);
    // The officer still approves as for any case.
    await ctx.services.applications.act(officer, kase.id, 'approve');
    expect(await count('certificates', kase.id)).toBe(1);
  });

  it('names the clause not met when the register address is elsewhere, and refuses nothing', async () => {
    const resident = await residentWithRegister('广西壮族自治区南宁市青秀区');
    const { case: kase } = await ctx.services.applications.submit(resident, residence);
    await ctx.services.events.drain();
    const detail = await ctx.services.applications.getCase(officer, kase.id);
    expect(detail.state).toBe('submitted');
    expect(detail.ruleDecisions).toEqual([
      expect.objectContaining({ outcome: 'ineligible', failed: [expect.objectContaining({ id: 'registeredInCounty' })], missing: [] }),
    ]);
  });

  it('decides a draft when it is submitted', async () => {
    const resident = await residentWithRegister('河北省石家庄市正定县正定镇塔元庄村');
    const { case: draft } = await ctx.services.applications.submit(resident, { ...residence, draft: true });
    await ctx.services.events.drain();
    expect(await count('rule_decisions', draft.id)).toBe(0);
    await ctx.services.applications.applicantAction(resident, draft.id, 'submit');
    await ctx.services.events.drain();
    expect((await ctx.services.applications.getCase(officer, draft.id)).state).toBe('completed');
    expect(await count('certificates', draft.id)).toBe(1);
  });

  it('leaves items without a rule to people', async () => {
    const resident = await residentWithRegister('河北省石家庄市正定县正定镇塔元庄村');
    const { case: kase } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.no_criminal_record',
      form: { purpose: 'employment' },
    });
    await ctx.services.events.drain();
    expect((await ctx.services.applications.getCase(resident, kase.id)).state).toBe('submitted');
    expect(await count('rule_decisions', kase.id)).toBe(0);
  });

  it('leaves a case submitted before the version in force was switched on to the officers', async () => {
    const resident = await residentWithRegister('河北省石家庄市正定县正定镇塔元庄村');
    const { case: kase } = await ctx.services.applications.submit(resident, residence);
    // A second version switched on before the worker reaches the case.
    const county = (await ctx.services.orgs.getOrg('130123'))!;
    const at = { orgCode: county.code, orgPath: county.path, actions: ['rule.view', 'rule.manage'] as const };
    const author = systemPrincipal({ actor: 'test:author', at });
    const { versions } = await ctx.services.rules.getRule(author, RESIDENCE_PROOF_RULE);
    const v1 = versions[0]!;
    const draft = await ctx.services.rules.propose(author, RESIDENCE_PROOF_RULE, {
      nameZh: v1.nameZh,
      nameEn: v1.nameEn,
      orgCode: v1.orgCode,
      purpose: v1.purpose,
      body: v1.body,
      legalBasis: v1.legalBasis,
      effectiveFrom: v1.effectiveFrom,
      reason: '第二版',
    });
    await ctx.services.rules.activate(systemPrincipal({ actor: 'test:approver', at }), RESIDENCE_PROOF_RULE, draft.version, '启用第二版');
    await ctx.services.events.drain();
    expect((await ctx.services.applications.getCase(officer, kase.id)).state).toBe('submitted');
    expect(await count('rule_decisions', kase.id)).toBe(0);
    expect(await count('sharing_exchanges', kase.id)).toBe(0);
  });
});
