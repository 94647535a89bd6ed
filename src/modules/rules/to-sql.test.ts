import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { createTestContext, type TestContext } from '../../../test/factories.ts';
import { sweepCount, sweepPage } from '../sharing/index.ts';
import { seedDatasets } from '../sharing/sharing.seed.ts';
import { sharingRecords } from '../sharing/sharing.tables.ts';
import { decide } from './evaluate.ts';
import { compileRule, type RuleBody } from './rule-language.ts';
import { ruleToSql, sweepDatasets } from './to-sql.ts';

const REGISTER = 'ps.household_register';
const MARRIAGE = 'civil.marriage_record';
const ON = '2026-12-05';

const inputs: RuleBody['inputs'] = [
  { name: 'birthDate', dataset: REGISTER, field: 'birthDate', type: 'date' },
  { name: 'address', dataset: REGISTER, field: 'address', type: 'string' },
  { name: 'householdNo', dataset: REGISTER, field: 'householdNo', type: 'int' },
];
const withMarriage: RuleBody['inputs'] = [...inputs, { name: 'marital', dataset: MARRIAGE, field: 'maritalStatus', type: 'string' }];
const clause = (id: string, expr: string) => ({ id, expr, zh: '条件', en: 'clause' });
const params: RuleBody['params'] = [{ name: 'age', values: [{ from: '2020-01-01', value: 80 }] }];

/** Rules that exercise every construct the compiler knows: each must select exactly whom `decide` finds eligible. */
const BODIES: [string, RuleBody][] = [
  [
    'age and province',
    {
      inputs,
      params,
      amount: null,
      clauses: [clause('a', 'yearsBetween(birthDate, today) >= age'), clause('b', 'address.startsWith("河北")')],
    },
  ],
  [
    'not, or, arithmetic, in',
    {
      inputs,
      params: [],
      amount: null,
      clauses: [
        clause('a', '!(householdNo < 100) || address.endsWith("村")'),
        clause('b', 'householdNo * 2 - 1 in [199, 1, -11]  || householdNo + 0 != 7'),
      ],
    },
  ],
  [
    'two datasets, ternary, size, contains',
    {
      inputs: withMarriage,
      params: [],
      amount: null,
      clauses: [
        clause('a', 'marital == "married" ? yearsBetween(birthDate, today) > 20 : size(address) > 2'),
        clause('b', 'address.contains("正定") != false || -householdNo <= 0'),
      ],
    },
  ],
  [
    'a birthday',
    { inputs, params, amount: null, clauses: [clause('a', 'anniversary(birthDate, today) && yearsBetween(birthDate, today) == age')] },
  ],
  ['string order', { inputs, params: [], amount: null, clauses: [clause('a', 'birthDate < today && address >= "河"')] }],
];

const birthDate = fc.oneof(
  fc.date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('1940年', '', '2026-02-30', '19400101', '1946-12-05T08:00:00', '1946-12-06', '1946-12-05', '1950-12-05'),
);
const person = fc.record(
  {
    birthDate,
    address: fc.constantFrom('河北省正定县', '河北', '广西壮族自治区', '正定村', '', 'abc村', '河'),
    householdNo: fc.constantFrom('', '100', '99', '-5', '1e3', '007', 'x', '6', '0'),
    marital: fc.constantFrom('married', 'single', '', null),
  },
  { requiredKeys: ['marital'] },
);

describe.each(testEngines())('rules compiled to SQL select whom the evaluator finds eligible, on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it.each(BODIES)('%s', async (_name, body) => {
    const compiled = compileRule(body);
    const { db } = ctx.database;
    await fc.assert(
      fc.asyncProperty(fc.array(person, { minLength: 1, maxLength: 25 }), async (people) => {
        await db.delete(sharingRecords).where(eq(sharingRecords.datasetCode, REGISTER));
        await db.delete(sharingRecords).where(eq(sharingRecords.datasetCode, MARRIAGE));
        const expected: string[] = [];
        for (const p of people) {
          const key = randomBytes(8).toString('hex');
          const register = Object.fromEntries(
            Object.entries({ birthDate: p.birthDate, address: p.address, householdNo: p.householdNo }).filter(([, v]) => v !== undefined),
          ) as Record<string, string>;
          await db.insert(sharingRecords).values({ datasetCode: REGISTER, subjectKey: key, data: register });
          if (p.marital !== null)
            await db.insert(sharingRecords).values({ datasetCode: MARRIAGE, subjectKey: key, data: { maritalStatus: p.marital } });
          const records = { [REGISTER]: register, [MARRIAGE]: p.marital === null ? undefined : { maritalStatus: p.marital } };
          if (decide(compiled, records, ON).outcome === 'eligible') expected.push(key);
        }
        const predicate = (dataOf: Parameters<typeof ruleToSql>[2]) => ruleToSql(compiled, ON, dataOf)!;
        const datasets = sweepDatasets(body);
        const { keys: selected, next } = await sweepPage(db, { datasets, predicate, afterKey: null, window: 1000 });
        expect(next).toBeNull();
        expect(selected).toEqual(expected.sort());
        expect(await sweepCount(db, { datasets, predicate })).toBe(expected.length);
      }),
      { numRuns: 12 },
    );
  });

  it('leaves what SQL cannot say to the batch path (null)', () => {
    const compiled = compileRule({ inputs, params: [], amount: null, clauses: [clause('a', 'daysBetween(birthDate, today) > 10')] });
    expect(ruleToSql(compiled, ON, () => sql`null`)).toBeNull();
  });
});
