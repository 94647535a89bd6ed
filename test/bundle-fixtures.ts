import { createTestContext, type TestContext } from './factories.ts';
import { seedDatasets, seedGrants } from '../src/modules/sharing/sharing.seed.ts';
import { seedBundles } from '../src/modules/bundles/bundle-seed.ts';

/** A context with the sharing catalogue, grants and the bundles' data. */
export async function bundleContext(
  engine: Parameters<typeof createTestContext>[0],
  bundleDefinitions?: readonly unknown[],
): Promise<TestContext> {
  const ctx = await createTestContext(engine, bundleDefinitions ? { bundleDefinitions } : {});
  const sharing = ctx.services.dataSharing;
  await sharing.upsertDatasets(seedDatasets(ctx.departments));
  const validUntil = new Date(Date.now() + 365 * 86_400_000);
  for (const grant of seedGrants(ctx.departments, validUntil)) await sharing.ensureGrant(grant);
  await seedBundles(ctx.database.db, ctx.services, ctx.departments);
  return ctx;
}

/** A mother with the hospital's delivery record and a household register entry. */
export async function motherIn(ctx: TestContext, name = '王芳') {
  const resident = await ctx.newResident({ name });
  await ctx.services.dataSharing.upsertRecords('ps.household_register', [
    {
      residentId: resident.residentId,
      data: {
        name,
        gender: '女',
        birthDate: '1992-03-05',
        ethnicity: '汉族',
        householdNo: '130123100242001',
        householdHead: '张伟',
        relationToHead: '配偶',
        address: '河北省石家庄市正定县正定镇塔元庄村',
      },
    },
  ]);
  await ctx.services.dataSharing.upsertRecords('health.birth_record', [
    {
      residentId: resident.residentId,
      data: {
        childName: '张小宝',
        childGender: '男',
        birthTime: '2026-11-18T08:30:00+08:00',
        birthPlace: '河北省石家庄市正定县',
        hospital: '正定县人民医院',
        weightGrams: '3350',
        certificateNo: 'O130123001',
      },
    },
  ]);
  await ctx.services.dataSharing.upsertRecords('medsec.insured_person', [
    {
      residentId: resident.residentId,
      data: {
        name,
        insuranceType: '城乡居民基本医疗保险',
        insuredRegion: '河北省石家庄市正定县',
        status: '正常参保',
        enrolledSince: '2016-01-01',
      },
    },
  ]);
  return resident;
}
