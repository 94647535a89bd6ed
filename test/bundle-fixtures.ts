import { createTestContext, type TestContext } from './factories.ts';
import { seedDatasets, seedGrants } from '../src/modules/sharing/sharing.seed.ts';
import { motherRecords } from '../src/modules/sharing/sharing-records.seed.ts';
import { seedBundles } from '../src/modules/bundles/bundle-seed.ts';

/** A context with the sharing catalogue, grants and the bundles' data. */
export async function bundleContext(
  engine: Parameters<typeof createTestContext>[0],
  bundleDefinitions?: readonly unknown[],
): Promise<TestContext> {
  const ctx = await createTestContext(engine, bundleDefinitions ? { bundleDefinitions } : {});
  const admin = ctx.services.sharingAdmin;
  await admin.upsertDatasets(seedDatasets(ctx.departments));
  const validUntil = new Date(Date.now() + 365 * 86_400_000);
  for (const grant of seedGrants(ctx.departments, validUntil)) await admin.ensureGrant(grant);
  await seedBundles(ctx.database.db, ctx.services, ctx.departments);
  return ctx;
}

/** A mother with the hospital's delivery record, a household register entry and insurance (the demo's 王芳). */
export async function motherIn(ctx: TestContext, name = '王芳') {
  const resident = await ctx.newResident({ name });
  const mother = { residentId: resident.residentId, name, gender: 'female', birthDate: '1992-03-05' } as const;
  for (const [dataset, records] of Object.entries(motherRecords(mother))) await ctx.services.sharingAdmin.upsertRecords(dataset, records);
  return resident;
}
