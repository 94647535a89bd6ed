import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';

describe.each(testEngines())('resident.moved on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('is written with a change of home, naming from and to, and not when the home stays the same', async () => {
    const resident = await ctx.newResident({ homeOrgCode: VILLAGE });
    const moves = async () =>
      (
        await ctx.database.db.execute<{ payload: Record<string, unknown> }>(
          sql`select payload from outbox where topic = 'resident.moved' and payload->>'accountId' = ${resident.accountId} order by id`,
        )
      ).rows.map((r) => r.payload);
    await ctx.services.identity.setHomeOrg(resident, ctx.otherVillage);
    await ctx.services.identity.setHomeOrg(resident, ctx.otherVillage);
    expect(await moves()).toEqual([{ accountId: resident.accountId, from: VILLAGE, to: ctx.otherVillage }]);
  });
});
