import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestContext, PASSWORD, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { purgeExpiredSessions, startSessionPurge } from './session-purge.ts';

describe.each(testEngines())('ended sessions (%s)', { timeout: 180_000 }, (engine) => {
  let ctx: TestContext;
  let now = new Date('2026-03-01T08:00:00Z');
  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => now });
  }, 300_000);
  afterAll(async () => ctx?.close());

  const count = async (accountId: string) =>
    (await ctx.database.db.execute<{ n: number }>(sql`select count(*)::int as n from sessions where account_id = ${accountId}`)).rows[0]!.n;

  it('are deleted in bounded batches once expired; live ones stay and still authenticate', async () => {
    now = new Date('2026-03-01T08:00:00Z');
    const resident = await ctx.newResident();
    const login = (channel: 'kiosk' | 'app') =>
      ctx.services.identity.login({ kind: 'resident', residentIdOrPhone: resident.residentId, password: PASSWORD, channel });
    // Four kiosk sessions (15 min) and a revoked one; then, an hour later, an app session (12 h).
    for (let i = 0; i < 4; i++) await login('kiosk');
    await ctx.services.identity.logout((await login('kiosk')).token);
    now = new Date('2026-03-01T09:00:00Z');
    const live = await login('app');
    expect(await count(resident.accountId)).toBe(7);

    // At most batchSize × maxBatches per call, the oldest first.
    expect(await purgeExpiredSessions(ctx.database.db, now, { batchSize: 2, maxBatches: 1 })).toBe(2);
    expect(await count(resident.accountId)).toBe(5);
    expect(await purgeExpiredSessions(ctx.database.db, now, { batchSize: 2 })).toBe(3);
    // The newResident login (app, 12 h) and the live one remain.
    expect(await count(resident.accountId)).toBe(2);
    expect(await ctx.services.identity.authenticate(live.token)).toMatchObject({ accountId: resident.accountId });
    expect(await purgeExpiredSessions(ctx.database.db, now)).toBe(0);
  });

  it('runs on a timer until stopped', async () => {
    now = new Date('2026-04-01T08:00:00Z');
    const resident = await ctx.newResident();
    await ctx.services.identity.login({ kind: 'resident', residentIdOrPhone: resident.residentId, password: PASSWORD, channel: 'kiosk' });
    expect(await count(resident.accountId)).toBe(2);
    const errors: unknown[] = [];
    const stop = startSessionPurge(ctx.database.db, {
      intervalMs: 20,
      clock: () => new Date('2026-04-02T08:00:00Z'),
      onError: (e) => errors.push(e),
    });
    try {
      await vi.waitFor(async () => expect(await count(resident.accountId)).toBe(0), { timeout: 30_000, interval: 50 });
    } finally {
      await stop();
    }
    expect(errors).toEqual([]);
  });
});
