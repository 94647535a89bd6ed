import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, freshResidentId, type TestContext } from '../../../test/factories.ts';
import type { Principal } from '../identity/principal.ts';
import { ledgerEntries } from '../ledger/ledger.tables.ts';
import { RECORD_ENTRY_KIND } from './dataset-records.ts';
import { seedDatasets } from './sharing.seed.ts';

describe.each(testEngines())('internal dataset records kept from the console on %s', (engine) => {
  let ctx: TestContext;
  let police: Principal;
  let health: Principal;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    health = await ctx.newStaff('department_officer', ctx.departments.health!);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const records = () => ctx.services.datasetRecords;

  it('writes and replaces one record by ID number, counts them, and puts each write on the ledger with digests only', async () => {
    const before = await records().summary(health, 'health.birth_record');
    const residentId = freshResidentId();
    const first = await records().putRecord(health, 'health.birth_record', {
      residentId,
      data: { childName: '孙小满', hospital: '正定县人民医院', weightGrams: ' ' },
    });
    expect(first.replaced).toBe(false);
    const second = await records().putRecord(health, 'health.birth_record', {
      residentId: residentId.toLowerCase(),
      data: { childName: '孙小满', hospital: '河北省人民医院' },
    });
    expect(second.replaced).toBe(true);
    expect(second.ledgerEntryId).toBeGreaterThan(first.ledgerEntryId);
    expect(await ctx.services.ledger.waitForIndex(second.ledgerEntryId)).toBe(
      (await ctx.services.ledger.waitForIndex(first.ledgerEntryId)) + 1,
    );
    const after = await records().summary(health, 'health.birth_record');
    expect(after.records).toBe(before.records + 1);
    expect(after.lastUpdatedAt).not.toBeNull();

    const [leaf] = await ctx.database.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, second.ledgerEntryId));
    expect(leaf!.kind).toBe(RECORD_ENTRY_KIND);
    const text = new TextDecoder().decode(leaf!.data);
    expect(JSON.parse(text)).toMatchObject({
      kind: RECORD_ENTRY_KIND,
      dataset: 'health.birth_record',
      fields: ['childName', 'hospital'],
      replaced: true,
    });
    expect(text).not.toContain('孙小满');
    expect(text).not.toContain(residentId);
  });

  it('refuses unknown fields, empty records, bad ID numbers, and another department’s dataset (404)', async () => {
    const residentId = freshResidentId();
    expect(await rejection(records().putRecord(health, 'health.birth_record', { residentId, data: { salary: '1' } }))).toBe(
      'UNKNOWN_FIELD',
    );
    expect(await rejection(records().putRecord(health, 'health.birth_record', { residentId, data: { childName: '  ' } }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      await rejection(records().putRecord(health, 'health.birth_record', { residentId: '130123199001010000', data: { childName: '甲' } })),
    ).toBe('INVALID_RESIDENT_ID');
    expect(await rejection(records().putRecord(police, 'health.birth_record', { residentId, data: { childName: '甲' } }))).toBe(
      'NOT_FOUND',
    );
    expect(await rejection(records().summary(police, 'health.birth_record'))).toBe('NOT_FOUND');
    const resident = await ctx.newResident();
    expect(await rejection(records().summary(resident, 'health.birth_record'))).toBe('NOT_FOUND');
    expect(await rejection(records().summary(health, 'no.such_dataset'))).toBe('NOT_FOUND');
    // The police keep their own household register.
    expect((await records().summary(police, 'ps.household_register')).adapter).toBe('internal');
  });
});
