import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { testEngines } from './db.ts';
import { buildTestApp, createTestContext, PASSWORD, VILLAGE, type TestContext } from './factories.ts';

describe.each(testEngines())('dead letters over HTTP on %s', (engine) => {
  let ctx: TestContext;
  let app: App;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    app = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  async function staffToken(role: Parameters<TestContext['newStaff']>[0]): Promise<{ token: string; accountId: string }> {
    const s = await ctx.newStaff(role, role === 'county_admin' ? '130123' : VILLAGE);
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username: s.username, password: PASSWORD, channel: 'web' },
    });
    return { token: res.json<{ token: string }>().token, accountId: s.accountId };
  }

  it('lists dead letters to the platform administrator only, and retries one once, recording who', async () => {
    const { rows } = await ctx.database.db.execute<{ id: string | number }>(
      sql`insert into outbox (topic, payload, attempts, last_error, dead_at) values ('test.dead', '{"caseId":"c1"}', 8, 'h: boom', now()) returning id`,
    );
    const id = Number(rows[0]!.id);
    const admin = await staffToken('platform_admin');
    const county = await staffToken('county_admin');
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });

    expect((await app.inject({ method: 'GET', url: '/api/events/dead', headers: auth(county.token) })).statusCode).toBe(403);
    const list = await app.inject({ method: 'GET', url: '/api/events/dead', headers: auth(admin.token) });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: unknown[] }>().items).toContainEqual(
      expect.objectContaining({ id, topic: 'test.dead', attempts: 8, lastError: 'h: boom', payload: { caseId: 'c1' } }),
    );

    const retry = (token: string) => app.inject({ method: 'POST', url: `/api/events/dead/${id}/retry`, headers: auth(token) });
    expect((await retry(county.token)).statusCode).toBe(403);
    expect((await retry(admin.token)).statusCode).toBe(204);
    expect((await retry(admin.token)).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: '/api/events/dead/999999999/retry', headers: auth(admin.token) })).statusCode).toBe(
      404,
    );
    const audit = await ctx.database.db.execute<{ retried_by: string }>(sql`select retried_by from event_retries where event_id = ${id}`);
    expect(audit.rows.map((r) => r.retried_by)).toEqual([admin.accountId]);
    const after = await app.inject({ method: 'GET', url: '/api/events/dead', headers: auth(admin.token) });
    expect(after.json<{ items: { id: number }[] }>().items.some((d) => d.id === id)).toBe(false);
  });
});
