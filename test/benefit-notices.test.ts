import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBenefits } from '../src/modules/benefits/benefits.seed.ts';
import { seedRules } from '../src/modules/rules/index.ts';
import { bundleContext, motherIn } from './bundle-fixtures.ts';
import { testEngines } from './db.ts';
import type { TestContext } from './factories.ts';

/** A date `days` before today, as the hospital writes a birth time. */
const daysAgo = (days: number) => `${new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)}T08:30:00+08:00`;

// The composition root hands the benefits engine the inbox: a benefit decided with no
// application tells the resident in the inbox, in the decision's transaction, once.
describe.each(testEngines())('benefit notices in the resident inbox on %s', (engine) => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await bundleContext(engine);
    await seedRules(ctx.database.db, ctx.services.ledger, { civilAffairsOrgCode: ctx.departments.civil_affairs! });
    await seedBenefits(ctx.database.db, ctx.services, ctx.departments);
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
  });

  it('a birth bundle’s benefits reach the mother’s inbox, each grant once, with its link and amount', async () => {
    const parent = await motherIn(ctx, '周丽');
    await ctx.services.sharingAdmin.upsertRecords('health.birth_record', [
      {
        residentId: parent.residentId,
        data: {
          childName: '张小宝',
          childGender: '男',
          birthTime: daysAgo(10),
          birthPlace: '河北省石家庄市正定县',
          hospital: '正定县人民医院',
          weightGrams: '3350',
          certificateNo: `O${randomUUID().slice(0, 9)}`,
          deliveryMode: '顺产',
          babies: '1',
        },
      },
    ]);
    await ctx.services.bundles.start(parent, { bundle: 'birth', form: { bankBranch: '农行正定支行' }, consent: true }, randomUUID());
    await ctx.services.events.drain();

    const grants = await ctx.services.benefits.mine(parent);
    const told = grants.filter((g) => ['granted', 'offered', 'refused', 'stopped'].includes(g.status));
    expect(told.length).toBeGreaterThan(0);
    const inbox = await ctx.services.inbox.list(parent, { limit: 100 });
    const benefitMessages = inbox.items.filter((m) => m.kind.startsWith('benefit.'));
    expect(benefitMessages.map((m) => m.link).sort()).toEqual(told.map((g) => `/benefits/${g.id}`).sort());
    for (const g of told) {
      const m = benefitMessages.find((x) => x.link === `/benefits/${g.id}`)!;
      expect(m.kind).toBe(`benefit.${g.status}`);
      expect(m.data).toMatchObject({ grantId: g.id, amountFen: g.amountFen });
    }
    expect(inbox.unreadCount).toBeGreaterThanOrEqual(benefitMessages.length);

    // The events again (a sweep, a retried worker): no second message. No sender here: the SMS is skipped.
    await ctx.services.events.drain();
    expect((await ctx.services.inbox.list(parent, { limit: 100 })).items.filter((m) => m.kind.startsWith('benefit.'))).toHaveLength(
      benefitMessages.length,
    );
    const { rows } = await ctx.database.db.execute<{ status: string }>(
      sql`select distinct sms_status as status from inbox_messages where account_id = ${parent.accountId} and sms`,
    );
    expect(rows.map((r) => r.status)).toEqual(['skipped']);
  });
});
