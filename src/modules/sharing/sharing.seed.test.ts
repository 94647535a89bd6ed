import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { createTestContext, type TestContext } from '../../../test/factories.ts';
import type { DemoPerson } from './sharing-records.seed.ts';
import { seedSharingDemo } from './sharing.seed.ts';
import { listCertificateTypes } from '../certificates/index.ts';

describe.each(testEngines())('the demo sharing data on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('publishes the catalogue, records and grants the birth bundle needs, once', async () => {
    const residents = await Promise.all(['张伟', '王芳', '李娜', '刘洋'].map((name) => ctx.newResident({ name })));
    const people = residents.map((r, i): DemoPerson => ({
      residentId: r.residentId,
      name: ['张伟', '王芳', '李娜', '刘洋'][i]!,
      gender: 'female',
      birthDate: '1990-01-01',
    }));
    const sharing = ctx.services.dataSharing;
    const admin = ctx.services.sharingAdmin;
    const licenceTypes = await listCertificateTypes(ctx.database.db);
    await seedSharingDemo(admin, ctx.departments, people as [DemoPerson, DemoPerson, DemoPerson, DemoPerson], { licenceTypes });
    const police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    const grants = await sharing.listGrants(police, ctx.departments.public_security!);
    await seedSharingDemo(admin, ctx.departments, people as [DemoPerson, DemoPerson, DemoPerson, DemoPerson], { licenceTypes });
    expect(await sharing.listGrants(police, ctx.departments.public_security!)).toHaveLength(grants.length);
    expect((await sharing.listDatasets(police)).map((d) => d.provider.name)).toEqual(
      expect.arrayContaining(['正定县公安局', '正定县卫生健康局', '正定县医疗保障局', '正定县民政局']),
    );
    const library = (await sharing.listDatasets(police)).filter((d) => d.adapter === 'licences');
    expect(library.map((d) => d.code).sort()).toEqual(licenceTypes.map((t) => `licence.${t.code}`).sort());
    expect(library.every((d) => d.provider.name === '河北省' && !d.fields.some((f) => f.name === 'residentId'))).toBe(true);

    const wang = residents[1]!;
    const { case: kase } = await ctx.services.applications.submit(wang, {
      serviceCode: 'birth.household_registration',
      form: { childName: '张小宝', householdHead: '张伟' },
    });
    const ask = (datasetCode: string, fields: string[]) =>
      sharing.requestExchange(police, {
        requestKey: `seed-${datasetCode.replace('.', '-')}`,
        datasetCode,
        fields,
        purpose: 'birth.household_registration',
        caseId: kase.id,
      });
    const birth = await ask('health.birth_record', ['childName', 'certificateNo']);
    expect(birth).toMatchObject({
      exchange: { status: 'completed', consentRequired: false },
      data: { childName: '张小宝', certificateNo: 'O130123001' },
    });
    const marriage = await ask('civil.marriage_record', ['spouseName']);
    expect(marriage.exchange.status).toBe('pending_consent');
    await sharing.decideConsent(wang, marriage.exchange.id, 'approve');
    expect((await ask('civil.marriage_record', ['spouseName'])).data).toEqual({ spouseName: '张伟' });
    // No grant lets 公安 read insurance data.
    expect(await ask('medsec.insured_person', ['status']).catch((e: { code: string }) => e.code)).toBe('GRANT_REQUIRED');
  });
});
