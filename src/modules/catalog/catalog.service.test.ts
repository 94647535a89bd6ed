import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, type TestContext } from '../../../test/factories.ts';
import { createCatalogAdmin, createCatalogService, EARLIEST_FORM_DATE } from './catalog.service.ts';
import type { FormField } from './catalog.tables.ts';

const form = { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' };

/** The error's English detail, or RESOLVED. */
function problemOf(fn: () => unknown): string {
  try {
    fn();
    return 'RESOLVED';
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const detail = error.params.detail;
    return `${error.code}: ${typeof detail === 'object' ? detail.en : String(detail)}`;
  }
}

describe.each(testEngines())('catalogue form dates on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("has none of the catalog admin's methods: the seed publishes items without an access check, the routes cannot", () => {
    const catalog = createCatalogService({ db: ctx.database.db });
    const adminMethods = Object.keys(createCatalogAdmin({ db: ctx.database.db, catalog }));
    expect(adminMethods).toEqual(expect.arrayContaining(['upsertItems']));
    for (const name of adminMethods) expect(catalog).not.toHaveProperty(name);
  });

  it('refuses a residence that starts in the future or before 1900, counting days in China', async () => {
    // 2026-06-15 16:30 UTC is already 2026-06-16 in China.
    const catalog = createCatalogService({ db: ctx.database.db, clock: () => new Date('2026-06-15T16:30:00Z') });
    const item = await catalog.requireItem('cert.residence');
    const check = (residentSince: string) => problemOf(() => catalog.validateForm(item, { ...form, residentSince }));
    expect(check('2099-01-01')).toBe('VALIDATION_FAILED: Living there since cannot be after today (2026-06-16)');
    expect(check('2026-06-17')).toMatch(/cannot be after today/);
    expect(check('2026-06-16')).toBe('RESOLVED');
    expect(check(EARLIEST_FORM_DATE)).toBe('RESOLVED');
    expect(check('1899-12-31')).toBe('VALIDATION_FAILED: Living there since cannot be before 1900-01-01');
    expect(check('0001-01-01')).toMatch(/cannot be before/);
    // A draft may leave the date empty, but a date it has must still be possible.
    expect(problemOf(() => catalog.validateForm(item, { ...form, residentSince: '2099-01-01' }, { partial: true }))).toMatch(
      /cannot be after today/,
    );
  });

  it('lets a field declared for future dates take today up to ten years ahead, and nothing before today', async () => {
    const catalog = createCatalogService({ db: ctx.database.db, clock: () => new Date('2026-06-15T04:00:00Z') });
    const appointment: FormField = {
      name: 'visitDate',
      labelZh: '预约日期',
      labelEn: 'Visit date',
      type: 'date',
      required: true,
      future: true,
    };
    const item = { ...(await catalog.requireItem('cert.residence')), formFields: [appointment] };
    const check = (visitDate: string) => problemOf(() => catalog.validateForm(item, { visitDate }));
    expect(check('2026-06-15')).toBe('RESOLVED');
    expect(check('2036-06-15')).toBe('RESOLVED');
    expect(check('2036-06-16')).toMatch(/between today/);
    expect(check('2026-06-14')).toMatch(/between today/);
  });

  it('refuses residentSince 2099-01-01 on submission and writes no case', async () => {
    const resident = await ctx.newResident();
    const submit = ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { ...form, residentSince: '2099-01-01' },
    });
    expect(await rejection(submit)).toBe('VALIDATION_FAILED');
    expect((await ctx.services.applications.listMine(resident, {})).items).toHaveLength(0);
  });
});
