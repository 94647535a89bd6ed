import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appSuite } from './app-suite.ts';
import { testEngines } from './db.ts';
import { PASSWORD, VILLAGE } from './factories.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import { createHospitalClient } from '../src/modules/insurance/hospital-client.ts';
import { insuranceFilings } from '../src/modules/insurance/insurance.tables.ts';
import { seedInsuranceServices } from '../src/modules/rules/index.ts';
import { seedDatasets } from '../src/modules/sharing/sharing.seed.ts';
import { sm2SigningKey } from '../src/modules/sharing/index.ts';
import { sm2GenerateKeyPair } from '../src/verify/sm2-keys.ts';
import { injectTransport } from './insurance-fixture.ts';

const dayOffset = (days: number) => new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);

describe.each(testEngines())('免填单 and instant filing over HTTP on %s', (engine) => {
  const suite = appSuite(engine);

  it('prefills the filing form from shared data, takes the confirmed form, approves it by rule, and the next entitlement check in that province says filed', async () => {
    const { ctx, app } = suite;
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    await seedInsuranceServices(ctx.services, { medicalSecurityOrgCode: ctx.departments.medical_security! });
    await seedInsurance(ctx.database.db, [{ region: '450800', nameZh: '贵港市', officeOrgCode: ctx.departments.medical_security! }]);
    const resident = await ctx.newResident({ homeOrgCode: VILLAGE, name: '韦秀英' });
    await ctx.services.sharingAdmin.upsertRecords('medsec.insured_person', [
      {
        residentId: resident.residentId,
        data: {
          name: '韦秀英',
          insuranceType: '城乡居民基本医疗保险',
          insuredRegion: '广西壮族自治区贵港市平南县',
          status: '正常参保',
          enrolledSince: '2016-01-01',
        },
      },
    ]);
    const psnNo = await ctx.services.insuranceAdmin.enrol({
      residentId: resident.residentId,
      name: '韦秀英',
      scheme: 'resident',
      region: '450800',
      fromDate: '2016-01-01',
    });
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: resident.residentId, password: PASSWORD, channel: 'app' },
    });
    const auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };

    const draft = await app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: auth,
      payload: { serviceCode: 'medsec.offsite_filing', form: {}, draft: true },
    });
    expect(draft.statusCode).toBe(201);
    const caseId = draft.json<{ id: string }>().id;
    // The bureau reads its own enrolment record under the law: no consent is asked for it.
    const prefilled = await app.inject({ method: 'POST', url: `/api/cases/${caseId}/prefill`, headers: auth, payload: { consent: false } });
    expect(prefilled.statusCode, prefilled.body).toBe(200);
    const { form, provenance } = prefilled.json<{
      form: Record<string, string>;
      provenance: Record<string, { dataset?: string; exchangeId?: string }>;
    }>();
    expect(form).toMatchObject({ name: '韦秀英', insuredRegion: '广西壮族自治区贵港市平南县', phone: resident.phone });
    expect(provenance.insuredRegion?.dataset).toBe('medsec.insured_person');
    expect(provenance.insuredRegion?.exchangeId).toMatch(/^[0-9a-f-]{36}$/);

    // She confirms, and files temporary treatment in 广州市天河区 from tomorrow.
    const submitted = await app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/submit`,
      headers: auth,
      payload: { form: { ...form, kind: 'temporary', destination: '440106', startDate: dayOffset(1) } },
    });
    expect(submitted.statusCode, submitted.body).toBe(200);
    await ctx.services.events.drain();
    await ctx.services.events.drain();
    const [filing] = await ctx.database.db.select().from(insuranceFilings).where(eq(insuranceFilings.caseId, caseId));
    expect(filing).toMatchObject({ psnNo, kind: 'temporary', destination: '440106', startDate: dayOffset(1) });

    // A Guangzhou hospital's entitlement check the day after: treated in another province, filed.
    const key = sm2SigningKey('H44010600001-key', sm2GenerateKeyPair().privateKey);
    await ctx.services.insuranceAdmin.registerInstitution({
      code: 'H44010600001',
      nameZh: '广州测试医院',
      nameEn: 'Guangzhou test hospital',
      level: 3,
      region: '440106',
      keyId: key.keyId,
      publicKey: key.publicKey,
    });
    ctx.services.insurance.reference.clear();
    const transport = injectTransport(() => app);
    const hospital = createHospitalClient({
      baseUrl: 'http://yiban.test',
      hospital: { code: 'H44010600001', region: '440106', key },
      platformKey: (await app.inject({ method: 'GET', url: '/api/insurance/hsa/v1/interface-key' })).json(),
      transport,
    });
    const opened = await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: dayOffset(2) }, { insuranceRegion: '450800' });
    expect(opened.answer.output).toMatchObject({ where: 'other_province', filed: '1' });
    const before = await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: dayOffset(0) }, { insuranceRegion: '450800' });
    expect(before.answer.output).toMatchObject({ where: 'other_province', filed: '0' });
  });
});
