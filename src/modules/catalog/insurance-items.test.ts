import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import { chinaDate } from '../../core/values.ts';
import { testEngines } from '../../../test/db.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { until } from '../../../test/federation-nodes.ts';
import { systemPrincipal, type Principal } from '../identity/index.ts';
import { seedInsuranceServices } from '../rules/insurance-rules.seed.ts';
import { seedDatasets } from '../sharing/sharing.seed.ts';
import { INSURANCE_ITEMS, INSURANCE_SERVICE_CODES, OFFSITE_FILING_RULE } from './insurance-items.seed.ts';
import { isFullyOnline, onlineRate } from './online-rate.ts';
import { prefillForm, prefillPlan } from './prefill.ts';

const INSURED = 'medsec.insured_person';
const FILING = 'medsec.offsite_filing';
/** 平南县, 贵港市, Guangxi: the seed story's place of insurance. */
const PINGNAN = '广西壮族自治区贵港市平南县';

const dayOffset = (days: number) => chinaDate(new Date(Date.now() + days * 86_400_000));

/** The English words of a refusal at submission, or RESOLVED. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'RESOLVED';
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const detail = error.params.detail;
    return `${error.code}: ${typeof detail === 'object' ? `${detail.zh} | ${detail.en}` : String(detail)}`;
  }
}

describe('the 43 medical insurance services as seed data', () => {
  it('are 43 with unique codes, the maternity allowance once, each named in Chinese and English', () => {
    expect(INSURANCE_SERVICE_CODES).toHaveLength(43);
    expect(new Set(INSURANCE_SERVICE_CODES).size).toBe(43);
    expect(INSURANCE_SERVICE_CODES.filter((c) => c === 'medsec.maternity_allowance')).toHaveLength(1);
    expect(INSURANCE_SERVICE_CODES.every((c) => c.startsWith('medsec.'))).toBe(true);
    expect(INSURANCE_SERVICE_CODES).toContain(FILING);
    for (const item of INSURANCE_ITEMS) {
      expect(item.nameZh, item.code).toMatch(/^[\u4e00-\u9fff“”（）、，]+$/);
      expect(item.nameEn, item.code).toMatch(/^[A-Z][A-Za-z ,:'()-]+$/);
    }
    expect(new Set(INSURANCE_ITEMS.map((i) => i.nameZh)).size).toBe(INSURANCE_ITEMS.length);
  });

  it('promise no more working days than the law allows, and prefill only from datasets of the data catalogue', () => {
    const datasets = new Set(
      seedDatasets({ public_security: 'p', health: 'h', medical_security: 'm', civil_affairs: 'c' }).map((d) => d.code),
    );
    const fieldsOf = new Map(
      seedDatasets({ public_security: 'p', health: 'h', medical_security: 'm', civil_affairs: 'c' }).map((d) => [
        d.code,
        new Set(d.fields.map((f) => f.name)),
      ]),
    );
    let prefilled = 0;
    for (const item of INSURANCE_ITEMS) {
      expect(item.legalLimitDays, item.code).toBeGreaterThanOrEqual(item.timeLimitDays);
      for (const [dataset, { fields }] of prefillPlan(item).datasets) {
        expect(datasets.has(dataset), `${item.code}: ${dataset}`).toBe(true);
        for (const f of fields) expect(fieldsOf.get(dataset)!.has(f), `${item.code}: ${dataset}.${f}`).toBe(true);
        prefilled += fields.length;
      }
      // Nothing to upload that the platform could fetch: a material asked of the resident is one no dataset holds.
      for (const m of item.materials) if (m.proofFree) expect(m.required).toBe(true);
    }
    expect(prefilled).toBeGreaterThan(100);
  });

  it('names only fields of the same form in its cross-field checks', () => {
    for (const item of INSURANCE_ITEMS) {
      const names = new Set(item.formFields.map((f) => f.name));
      expect(names.size, item.code).toBe(item.formFields.length);
      for (const f of item.formFields) {
        for (const ref of [f.notBefore, f.pastOnlyIf?.field, f.division?.otherProvinceThan]) {
          if (ref !== undefined) expect(names.has(ref), `${item.code}.${f.name} → ${ref}`).toBe(true);
        }
      }
    }
  });

  it('computes the online rate: 100 % for the 43, lower when one needs a counter', () => {
    expect(onlineRate(INSURANCE_ITEMS)).toEqual({ items: 42, online: 42, rate: 1 });
    const counterOnly = { ...INSURANCE_ITEMS[0]!, online: false };
    const appLess = { ...INSURANCE_ITEMS[1]!, channels: ['window' as const] };
    expect(isFullyOnline(counterOnly)).toBe(false);
    expect(isFullyOnline(appLess)).toBe(false);
    const mixed = onlineRate([...INSURANCE_ITEMS.slice(2), counterOnly, appLess]);
    expect(mixed).toEqual({ items: 42, online: 40, rate: 40 / 42 });
    expect(onlineRate([])).toEqual({ items: 0, online: 0, rate: 0 });
  });

  it('prefills what the records know, keeps what the resident typed, and says where each value came from', () => {
    const item = INSURANCE_ITEMS.find((i) => i.code === FILING)!;
    const { form, provenance } = prefillForm(item, {
      records: { [INSURED]: { name: '韦秀英', insuredRegion: PINGNAN, insuranceType: '城乡居民基本医疗保险', status: '正常参保' } },
      account: { phone: '13900000000' },
      typed: { kind: 'temporary', name: '韦秀英' },
    });
    expect(form).toEqual({
      name: '韦秀英',
      insuredRegion: PINGNAN,
      insuranceType: '城乡居民基本医疗保险',
      phone: '13900000000',
      kind: 'temporary',
    });
    expect(provenance).toEqual({
      insuredRegion: { dataset: INSURED, field: 'insuredRegion' },
      insuranceType: { dataset: INSURED, field: 'insuranceType' },
      phone: { account: 'phone' },
    });
  });
});

describe.each(testEngines())('medical insurance services on %s', (engine) => {
  let ctx: TestContext;
  let bureau: string;
  let officer: Principal;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    bureau = ctx.departments.medical_security!;
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    await seedInsuranceServices(ctx.services, { medicalSecurityOrgCode: bureau });
    // Again: nothing new.
    await seedInsuranceServices(ctx.services, { medicalSecurityOrgCode: bureau });
    officer = await ctx.newStaff('department_officer', bureau);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  async function insuredResident(record: Record<string, string> | null) {
    const resident = await ctx.newResident({ homeOrgCode: VILLAGE, name: '韦秀英' });
    if (record) await ctx.services.sharingAdmin.upsertRecords(INSURED, [{ residentId: resident.residentId, data: record }]);
    return resident;
  }
  const insured = {
    name: '韦秀英',
    insuranceType: '城乡居民基本医疗保险',
    insuredRegion: PINGNAN,
    status: '正常参保',
    enrolledSince: '2016-01-01',
  };

  /**
   * 免填单 as a resident meets it: the draft filing is opened, the bureau fetches what its records
   * know through an exchange under the item's grant, and the form comes back prefilled.
   */
  async function prefilledFiling(resident: Principal & { residentId: string; phone: string }) {
    const { case: draft } = await ctx.services.applications.submit(resident, { serviceCode: FILING, form: {}, draft: true });
    const item = await ctx.services.catalog.requireItem(FILING);
    const org = (await ctx.services.orgs.getOrg(draft.orgCode))!;
    const actor = systemPrincipal({
      actor: 'test:prefill',
      at: { orgCode: org.code, orgPath: org.path, actions: ['case.view', 'exchange.request'] },
    });
    const records: Record<string, Record<string, string> | null> = {};
    for (const [dataset, { fields }] of prefillPlan(item).datasets) {
      const result = await ctx.services.dataSharing.requestExchange(actor, {
        requestKey: `test-prefill-${draft.id}-${dataset.replace(/\W/g, '_')}`,
        datasetCode: dataset,
        fields,
        purpose: FILING,
        caseId: draft.id,
      });
      expect(result.exchange.status).toBe('completed');
      records[dataset] = result.data ?? null;
    }
    return { draftId: draft.id, ...prefillForm(item, { records, account: { phone: resident.phone } }) };
  }

  it('seeds the 43 in the catalogue, all fully online, the filing decided by its rule', async () => {
    const listed = await ctx.services.catalog.listItems({ category: 'medical_insurance' });
    const allowance = await ctx.services.catalog.requireItem('medsec.maternity_allowance');
    const items = [...listed, allowance];
    expect(items.map((i) => i.code).sort()).toEqual([...INSURANCE_SERVICE_CODES].sort());
    expect(items.filter((i) => !isFullyOnline(i)).map((i) => i.code)).toEqual([]);
    expect(items.every((i) => i.nameZh.length > 0 && i.nameEn.length > 0)).toBe(true);
    const filing = listed.find((i) => i.code === FILING)!;
    expect(filing).toMatchObject({
      instantRule: OFFSITE_FILING_RULE,
      timeLimitDays: 1,
      legalLimitDays: 5,
      departmentKind: 'medical_security',
    });
    expect(await ctx.services.rules.activeInputs(OFFSITE_FILING_RULE)).toMatchObject({ version: 1, purpose: OFFSITE_FILING_RULE });
  });

  it('takes an application for each of the 43 in the app, with nothing else to do at a counter', async () => {
    const resident = await insuredResident(insured);
    const today = dayOffset(0);
    for (const code of INSURANCE_SERVICE_CODES) {
      const item = await ctx.services.catalog.requireItem(code);
      const form: Record<string, string> = {};
      for (const f of item.formFields) {
        if (f.type === 'select') form[f.name] = f.options![0]!.value;
        else if (f.type === 'date') form[f.name] = today;
        else if (f.division) form[f.name] = '440106';
        else if (f.name === 'insuredRegion') form[f.name] = PINGNAN;
        else form[f.name] = '测试'.slice(0, f.maxLength ?? 2);
      }
      const { case: kase } = await ctx.services.applications.submit(resident, { serviceCode: code, form });
      expect(kase.state, code).toBe('submitted');
      expect(kase.channel, code).toBe('app');
    }
  });

  /**
   * The case's state once the rule has decided it: the outbox drained until then. One drain is not
   * always enough under load: a handler of the case's events that fails (a deadlock between the
   * case's handlers on PostgreSQL) is handled again after its backoff, as in production.
   */
  const decided = (caseId: string) =>
    until(
      `case ${caseId} decided by rule`,
      async () => {
        await ctx.services.events.drain();
        const { state } = await ctx.services.applications.getCase(officer, caseId);
        return state === 'approved' || state === 'completed' ? state : undefined;
      },
      60_000,
    );

  it('prefills the filing from the insured persons dataset and approves it at once by rule, no person acting', async () => {
    const resident = await insuredResident(insured);
    const { draftId, form, provenance } = await prefilledFiling(resident);
    expect(form).toMatchObject({ name: '韦秀英', insuredRegion: PINGNAN, insuranceType: '城乡居民基本医疗保险', phone: resident.phone });
    expect(provenance.insuredRegion).toEqual({ dataset: INSURED, field: 'insuredRegion' });

    // The resident confirms and chooses: temporary treatment in 广州市天河区 (another province), from tomorrow.
    const started = performance.now();
    const kase = await ctx.services.applications.applicantAction(resident, draftId, 'submit', {
      ...form,
      kind: 'temporary',
      destination: '440106',
      startDate: dayOffset(1),
    });
    expect(kase.orgCode).toBe(bureau);
    await decided(kase.id);
    console.log(`异地就医备案 on ${engine}: submit to decision in ${((performance.now() - started) / 1000).toFixed(3)} s`);
    const detail = await ctx.services.applications.getCase(officer, kase.id);
    expect(['approved', 'completed']).toContain(detail.state);
    const people = detail.events.filter((e) => e.action !== 'submit' && e.actorId !== resident.accountId);
    const approve = detail.events.find((e) => e.action === 'approve')!;
    expect(approve.reason).toContain(`${OFFSITE_FILING_RULE} v1`);
    const org = (await ctx.services.orgs.getOrg(bureau))!;
    const rule = systemPrincipal({ actor: `rule:${OFFSITE_FILING_RULE}`, at: { orgCode: bureau, orgPath: org.path, actions: [] } });
    expect(people.every((e) => e.actorId === rule.accountId)).toBe(true);
    expect(detail.ruleDecisions).toEqual([expect.objectContaining({ rule: OFFSITE_FILING_RULE, outcome: 'eligible', failed: [] })]);
  });

  it('takes an emergency filed after the fact, and a stay that began before the filing while it lasts', async () => {
    const resident = await insuredResident(insured);
    const { form } = await prefilledFiling(resident);
    const emergency = { ...form, kind: 'emergency', destination: '110105', startDate: dayOffset(-20), endDate: dayOffset(-10) };
    const ongoing = { ...form, kind: 'temporary', destination: '110105', startDate: dayOffset(-5) };
    for (const f of [emergency, ongoing]) {
      const { case: kase } = await ctx.services.applications.submit(resident, { serviceCode: FILING, form: f });
      expect(['approved', 'completed']).toContain(await decided(kase.id));
    }
  });

  it('refuses a bad filing at submission, saying why in both languages, and writes no case', async () => {
    const resident = await insuredResident(insured);
    const { form } = await prefilledFiling(resident);
    const base = { ...form, kind: 'temporary', destination: '440106', startDate: dayOffset(1) };
    const submit = (f: Record<string, string>) => refusal(ctx.services.applications.submit(resident, { serviceCode: FILING, form: f }));

    // 南宁市青秀区 is in Guangxi, like 平南县: no filing within the province.
    expect(await submit({ ...base, destination: '450103' })).toBe(
      'VALIDATION_FAILED: 就医地（县级行政区划代码）青秀区与参保地同在广西壮族自治区：须为外省的地方 | ' +
        'Place of treatment (county division code) 450103 is in the same province as the insured region (45): it must be in another province',
    );
    expect(await submit({ ...base, destination: '999999' })).toMatch(
      /^VALIDATION_FAILED: .*“999999”不是有效的县级行政区划代码.*is not a county-level division code/,
    );
    expect(await submit({ ...base, destination: '4401' })).toMatch(/is not a county-level division code/);
    expect(await submit({ ...base, startDate: dayOffset(10), endDate: dayOffset(3) })).toMatch(
      /不能早于开始日期.*cannot be before the start date/,
    );
    // A stay over already, not an emergency: too late to file; the words point to reimbursement.
    expect(await submit({ ...base, startDate: dayOffset(-20), endDate: dayOffset(-10) })).toMatch(
      /治疗已经结束.*出院结算前.*The treatment has ended: a filing must be made before discharge/,
    );
    expect(await submit({ ...base, kind: 'holiday' })).toMatch(/^VALIDATION_FAILED/);
    // Filing is possible until discharge, within a year of the start.
    expect(await submit({ ...base, kind: 'emergency', startDate: dayOffset(-400) })).toMatch(
      /Start date must be between \d{4}-\d{2}-\d{2} and/,
    );
    // Only the draft the prefill opened, still a draft.
    expect((await ctx.services.applications.listMine(resident, {})).items.map((c) => c.state)).toEqual(['draft']);
  });

  it('leaves the filing of a person whose insurance is suspended to an officer, naming the clause not met', async () => {
    const resident = await insuredResident({ ...insured, status: '暂停参保' });
    const { form } = await prefilledFiling(resident);
    const { case: kase } = await ctx.services.applications.submit(resident, {
      serviceCode: FILING,
      form: { ...form, kind: 'long_term_residence', destination: '440106', startDate: dayOffset(0) },
    });
    await ctx.services.events.drain();
    const detail = await ctx.services.applications.getCase(officer, kase.id);
    expect(detail.state).toBe('submitted');
    expect(detail.ruleDecisions).toEqual([expect.objectContaining({ outcome: 'ineligible', missing: [] })]);
    expect(detail.ruleDecisions![0]!.failed).toEqual([
      { id: 'insured', zh: '参保状态正常：正在参加基本医疗保险', en: 'Currently insured: the basic medical insurance enrolment is active' },
    ]);
  });
});
