import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, freshResidentId, type TestContext } from '../../../test/factories.ts';
import type { Principal } from '../identity/index.ts';
import { ledgerEntries } from '../ledger/ledger.tables.ts';
import { seedDatasets } from '../sharing/sharing.seed.ts';
import type { ProposeRuleInput } from './rules.schemas.ts';

const NOW = new Date('2026-12-05T02:00:00Z');
const REGISTER = 'ps.household_register';
const RULE = 'benefit.old_age_allowance';
const PURPOSE = 'benefit.old_age_allowance';

/** 高龄津贴 at `age` or over, registered in 河北省, 100 yuan a month. */
function oldAge(orgCode: string, age: number, reason = '依据省民政厅通知设立高龄津贴'): ProposeRuleInput {
  return {
    nameZh: '高龄津贴',
    nameEn: 'Old-age allowance',
    orgCode,
    purpose: PURPOSE,
    body: {
      inputs: [
        { name: 'birthDate', dataset: REGISTER, field: 'birthDate', type: 'date' },
        { name: 'address', dataset: REGISTER, field: 'address', type: 'string' },
      ],
      params: [{ name: 'monthlyFen', values: [{ from: '2024-01-01', value: 10000 }] }],
      clauses: [
        { id: 'aged', expr: `yearsBetween(birthDate, today) >= ${age}`, zh: `年满 ${age} 周岁`, en: `Aged ${age} or over` },
        { id: 'inProvince', expr: 'address.startsWith("河北省")', zh: '户籍在本省', en: 'Registered in the province' },
      ],
      amount: 'monthlyFen',
    },
    legalBasis: {
      titleZh: '《河北省老年人权益保障条例》',
      titleEn: 'Hebei Regulations on the Protection of the Rights of the Elderly',
      articleZh: '第三十条',
      articleEn: 'Art. 30',
    },
    effectiveFrom: '2026-01-01',
    reason,
  };
}

describe.each(testEngines())('rules as data on %s', (engine) => {
  let ctx: TestContext;
  let civil: string;
  let author: Principal;
  let approver: Principal;
  let reviewer: Principal;
  let police: Principal;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => NOW });
    civil = ctx.departments.civil_affairs!;
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    author = await ctx.newStaff('department_officer', civil);
    approver = await ctx.newStaff('department_officer', civil);
    reviewer = await ctx.newStaff('village_reviewer', ctx.otherVillage);
    police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    // Forty people, one born each year from 1936 (aged 90) to 1975 (aged 51), all in 河北省 but two.
    const records = Array.from({ length: 40 }, (_, i) => ({
      residentId: freshResidentId(),
      data: { name: '李某', birthDate: `${1936 + i}-06-01`, address: i === 0 || i === 7 ? '广西壮族自治区南宁市' : '河北省石家庄市正定县' },
    }));
    await ctx.services.sharingAdmin.upsertRecords(REGISTER, records);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const rules = () => ctx.services.rules;

  it('refuses a rule that reads data without a law-based grant, cites no legal basis, or does not parse, and writes nothing', async () => {
    expect(await rejection(rules().propose(author, RULE, oldAge(civil, 80)))).toBe('RULE_INPUT_NOT_GRANTED');
    await ctx.services.sharingAdmin.ensureGrant({
      datasetCode: REGISTER,
      consumerOrgCode: civil,
      fields: ['birthDate', 'address'],
      purpose: PURPOSE,
      legalBasis: '《河北省老年人权益保障条例》第三十条',
      legalBasisCode: 'pipl-13-1-3',
      consentRequired: false,
      validUntil: new Date('2030-01-01T00:00:00Z'),
    });
    const noBasis = oldAge(civil, 80);
    noBasis.legalBasis = { ...noBasis.legalBasis, titleZh: ' ', articleZh: '' };
    expect(await rejection(rules().propose(author, RULE, noBasis))).toBe('RULE_LEGAL_BASIS_REQUIRED');
    const broken = oldAge(civil, 80);
    broken.body.clauses[0]!.expr = 'yearsBetween(birthDate, today) >=';
    expect(await rejection(rules().propose(author, RULE, broken))).toBe('RULE_INVALID');
    const reads = oldAge(civil, 80);
    reads.body.inputs.push({ name: 'ethnicity', dataset: REGISTER, field: 'ethnicity', type: 'string' });
    expect(await rejection(rules().propose(author, RULE, reads))).toBe('RULE_INPUT_NOT_GRANTED');
    // Another department's officer cannot write the civil affairs bureau's rules.
    expect(await rejection(rules().propose(police, RULE, oldAge(civil, 80)))).toBe('NOT_FOUND');
    expect(await rejection(rules().getRule(author, RULE))).toBe('NOT_FOUND');
  });

  it('proposes a draft with its hash on the ledger; only another officer switches it on, with why', async () => {
    const draft = await rules().propose(author, RULE, oldAge(civil, 80));
    expect(draft).toMatchObject({
      version: 1,
      status: 'draft',
      proposedBy: author.accountId,
    });
    expect(draft.hash).toMatch(/^[0-9a-f]{64}$/);
    await ctx.services.ledger.waitForIndex(draft.ledgerEntryId);
    const [leaf] = await ctx.database.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, draft.ledgerEntryId));
    const text = new TextDecoder().decode(leaf!.data);
    expect(JSON.parse(text)).toMatchObject({ kind: 'rule.version', rule: RULE, version: 1, hash: draft.hash, event: 'proposed' });
    expect(text).not.toContain('依据省民政厅通知');

    // Nothing decides with a draft.
    expect(await rules().decideWith(RULE, 'k', {})).toBeNull();
    expect(await rejection(rules().activate(author, RULE, 1, '自己批准'))).toBe('SELF_APPROVAL');
    expect(await rejection(rules().activate(approver, RULE, 1, ' '))).toBe('VALIDATION_FAILED');
    expect(await rejection(rules().activate(reviewer, RULE, 1, '越权'))).toBe('NOT_FOUND');
    const active = await rules().activate(approver, RULE, 1, '经局务会审议通过');
    expect(active).toMatchObject({ status: 'active', activatedBy: approver.accountId, activationReason: '经局务会审议通过' });
    expect(await rejection(rules().activate(approver, RULE, 1, '再次启用'))).toBe('RULE_NOT_DRAFT');

    const decision = await rules().decideWith(RULE, 'subject-1', { [REGISTER]: { birthDate: '1940-02-02', address: '河北省正定县' } });
    expect(decision).toMatchObject({
      outcome: 'eligible',
      amountFen: 10000,
      trace: { rule: RULE, version: 1, hash: draft.hash, on: '2026-12-05' },
    });
  });

  it('dry-runs a new version against the one in force: counts, the clauses that refuse, a sample without personal data', async () => {
    const v2 = await rules().propose(author, RULE, oldAge(civil, 75, '降低年龄门槛至75周岁'));
    expect(v2.version).toBe(2);
    const run = await rules().dryRun(author, RULE, 2);
    // 1936–1946 are 80 or over (11 people, two of them registered in Guangxi); 1947–1951 are 75–79 (5 people).
    expect(run).toMatchObject({
      version: 2,
      baseline: 1,
      on: '2026-12-05',
      population: 40,
      eligibleBefore: 9,
      eligible: 14,
      added: 5,
      removed: 0,
      undetermined: 0,
    });
    expect(run.failedBy).toEqual([
      { clause: 'aged', count: 24 },
      { clause: 'inProvince', count: 2 },
    ]);
    expect(run.sample.added).toHaveLength(5);
    expect(run.sample.added.every((s) => /^[0-9a-f]{12}$/.test(s.subject) && s.failed === 'aged')).toBe(true);
    await ctx.services.ledger.waitForIndex(run.ledgerEntryId);
    const [leaf] = await ctx.database.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, run.ledgerEntryId));
    expect(JSON.parse(new TextDecoder().decode(leaf!.data))).toMatchObject({
      kind: 'rule.dry_run',
      rule: RULE,
      version: 2,
      baseline: 1,
      population: 40,
    });
    // A supervisor sees the rules below them; only their managers try them on the population.
    expect(await rejection(rules().dryRun(await ctx.newStaff('supervisor', '130123'), RULE, 2))).toBe('FORBIDDEN');

    await rules().activate(approver, RULE, 2, '经局务会审议通过');
    const rule = await rules().getRule(author, RULE);
    expect(rule.versions.map((v) => [v.version, v.status])).toEqual([
      [1, 'retired'],
      [2, 'active'],
    ]);
    const decision = await rules().decideWith(RULE, 'subject-1', { [REGISTER]: { birthDate: '1950-01-01', address: '河北省正定县' } });
    expect(decision?.trace.version).toBe(2);
    expect((await rules().listRules(author)).map((r) => [r.ruleCode, r.version])).toEqual([[RULE, 2]]);
    expect(await rules().listRules(police)).toEqual([]);

    // The population sweep with the version in force: in the database, the same people the dry run counted.
    expect(await rules().sweep.countEligible(RULE)).toEqual({ count: 14, path: 'sql' });
    const pages: string[][] = [];
    // Windows of 10 records of the population of 40: the eligible ones of each, in key order.
    for await (const keys of rules().sweep.eligible(RULE, NOW, 10)) pages.push(keys);
    expect(pages.flat()).toEqual([...pages.flat()].sort());
    expect(new Set(pages.flat()).size).toBe(14);
  });
});
