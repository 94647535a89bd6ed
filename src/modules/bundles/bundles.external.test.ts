import { count, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { freePort, newSigningKey, startDepartment, type RunningDepartment } from '../../../test/external-department.ts';
import { createTestContext, type TestContext } from '../../../test/factories.ts';
import { certificates } from '../certificates/certificates.tables.ts';
import { seedDatasets, seedGrants } from '../sharing/sharing.seed.ts';
import { demoBirthTime, motherRecords } from '../sharing/sharing-records.seed.ts';
import { sharingExchanges } from '../sharing/sharing.tables.ts';
import { seedBundles } from './bundle-seed.ts';

/**
 * The birth bundle with the hospital's birth record served by the hospital's own system (the
 * external signed adapter, a real department process): down at first, then up.
 */
describe.each(testEngines())('birth bundle with an external hospital system on %s', (engine) => {
  const platformKey = newSigningKey();
  const hospitalKey = newSigningKey('dept');
  let ctx: TestContext;
  let hospital: RunningDepartment | undefined;
  let port: number;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { externalSharing: { key: platformKey, backoffBaseMs: 20, maxBackoffMs: 100 } });
    const admin = ctx.services.sharingAdmin;
    await admin.upsertDatasets(seedDatasets(ctx.departments));
    for (const grant of seedGrants(ctx.departments, new Date(Date.now() + 365 * 86_400_000))) await admin.ensureGrant(grant);
    await seedBundles(ctx.database.db, ctx.services, ctx.departments);
    port = await freePort();
    await admin.setProvider('health.birth_record', {
      kind: 'external',
      baseUrl: `http://127.0.0.1:${port}`,
      keyId: hospitalKey.keyId,
      publicKey: hospitalKey.publicKeyPem,
      attempts: 2,
      timeoutMs: 1000,
    });
  }, 120_000);
  afterAll(async () => {
    await hospital?.stop();
    await ctx?.close();
  });

  it('shows that it waits for the hospital while its system is down, then completes once it is up, nothing twice', async () => {
    const parent = await ctx.newResident({ name: '王芳' });
    // 王芳's register entry and insurance are in the platform; the delivery record is at the hospital's own system.
    const { 'health.birth_record': delivery, ...kept } = motherRecords({
      residentId: parent.residentId,
      name: '王芳',
      gender: 'female',
      birthDate: '1992-03-05',
    });
    for (const [dataset, records] of Object.entries(kept)) await ctx.services.sharingAdmin.upsertRecords(dataset, records);

    const { bundle: waiting } = await ctx.services.bundles.start(
      parent,
      { bundle: 'birth', form: { bankBranch: '中国银行正定支行' }, consent: true },
      `ext-bundle-${Date.now().toString(36)}`,
    );
    expect(waiting.state).toBe('open');
    expect(waiting.waitingFor.map((w) => w.dataset)).toEqual(['health.birth_record', 'health.birth_record']);
    expect(waiting.waitingFor[0]!.message.zh).toContain('正在等待');
    expect(waiting.waitingFor[0]!.message.en).toMatch(/^Waiting for /);
    expect(waiting.tasks.map((t) => t.state)).toEqual(['waiting', 'waiting', 'waiting', 'waiting', 'waiting']);
    expect(waiting.tasks.find((t) => t.key === 'household_registration')!.reason?.zh).toContain('正在等待');
    expect(waiting.tasks.every((t) => t.output === null)).toBe(true);
    const caseIds = waiting.tasks.map((t) => t.caseId!);
    const exchanges = async () =>
      (await ctx.database.db.select({ n: count() }).from(sharingExchanges).where(inArray(sharingExchanges.caseId, caseIds)))[0]!.n;
    const issued = async () =>
      (await ctx.database.db.select({ n: count() }).from(certificates).where(inArray(certificates.caseId, caseIds)))[0]!.n;
    const beforeUp = await exchanges();

    // Still down: reading the progress tries again and still waits, adding nothing.
    expect((await ctx.services.bundles.getProgress(parent, waiting.id)).waitingFor).toHaveLength(2);
    expect(await exchanges()).toBe(beforeUp);

    hospital = await startDepartment({
      name: '正定县人民医院',
      key: hospitalKey,
      port,
      trust: [platformKey.publicKeyPem],
      datasets: [
        {
          code: 'health.birth_record',
          records: delivery!,
        },
      ],
    });
    const done = await ctx.services.bundles.getProgress(parent, waiting.id);
    expect(done.waitingFor).toEqual([]);
    expect(done.state).toBe('done');
    expect(done.tasks.map((t) => t.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(done.form.find((f) => f.name === 'birthDate')).toMatchObject({
      value: demoBirthTime().slice(0, 10),
      prefilled: true,
      dataset: 'health.birth_record',
    });
    expect(done.tasks.map((t) => t.caseId)).toEqual(caseIds); // the same cases, not new ones
    const after = await exchanges();
    expect(after).toBe(beforeUp + 2); // the two hospital exchanges, once each
    expect(await issued()).toBe(5);
    expect((await hospital.stats()).distinctRequests).toBe(2);

    // Reading again changes nothing.
    expect((await ctx.services.bundles.getProgress(parent, waiting.id)).state).toBe('done');
    expect(await exchanges()).toBe(after);
    expect(await issued()).toBe(5);
  }, 120_000);
});
